import type { ChangeRequest, UndoOutcome, UndoRequest } from '../core/changes.js';
import { oneLine } from '../core/errors.js';
import type { CredentialSecret } from '../core/events.js';
import { redactPatterns } from '../core/redact.js';
import type { HttpResponse, NetClient } from '../net/network.js';

/** Sends a change or undo request as the identity whose secret is given (none: anonymous). */
export function sendChange(
  net: NetClient,
  request: ChangeRequest,
  credential: CredentialSecret | undefined,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  return net.http({
    url: request.url,
    method: request.method,
    body: request.body,
    headers: {
      accept: 'application/json, */*',
      ...(request.body !== undefined && { 'content-type': request.contentType ?? 'application/json' }),
    },
    credential,
    signal,
    // A change is sent again only when it provably never left (network.ts): never after it may have applied.
    idempotent: false,
  });
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Why a server refused, in one line: a Kubernetes Status message, or the start of the body. */
export function refusal(res: Pick<HttpResponse, 'status' | 'json' | 'text'>): string {
  const status = res.json<{ kind?: string; message?: string }>();
  const why = status?.kind === 'Status' && status.message ? status.message : res.text().trim();
  const line = redactPatterns(why.split('\n')[0]).slice(0, 160);
  return `HTTP ${res.status}${line ? `: ${line}` : ''}`;
}

/** How long an undo with `confirmGone` waits for the object to be gone, and how often it looks. */
export interface GoneWait {
  deadlineMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Long enough for a real namespace with a few objects to be emptied; `--undo-wait` changes it. */
export const DEFAULT_UNDO_WAIT_MS = 60_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** `phase Terminating since 2026-…`, from an object's GET answer. */
function stillThere(res: HttpResponse): string {
  const o = res.json<{ metadata?: { deletionTimestamp?: unknown }; status?: { phase?: unknown } }>();
  const phase = typeof o?.status?.phase === 'string' ? `phase ${o.status.phase}` : 'still there';
  const since = typeof o?.metadata?.deletionTimestamp === 'string' ? ` since ${o.metadata.deletionTimestamp}` : '';
  return `${phase}${since}`.slice(0, 120);
}

/**
 * After a deletion was accepted: GETs `url` until it answers 404 (gone) or the deadline passes. Returns
 * undefined when gone, else why the object cannot be called gone.
 */
async function awaitGone(
  net: NetClient,
  url: string,
  credential: CredentialSecret | undefined,
  wait: GoneWait,
): Promise<string | undefined> {
  const until = Date.now() + wait.deadlineMs;
  const seconds = Math.round(wait.deadlineMs / 100) / 10;
  for (;;) {
    let res: HttpResponse;
    try {
      res = await net.http({
        url,
        headers: { accept: 'application/json' },
        credential,
        signal: wait.signal,
        shared: false,
      });
    } catch (err) {
      return `whether it is gone could not be checked: ${oneLine(err)}`;
    }
    if (res.status === 404) return undefined;
    if (!isSuccess(res.status)) return `whether it is gone could not be checked: GET → ${refusal(res)}`;
    if (Date.now() >= until || wait.signal?.aborted) return `still there after ${seconds} s (${stillThere(res)})`;
    await sleep(Math.min(wait.intervalMs ?? 1000, Math.max(0, until - Date.now())), wait.signal);
  }
}

/**
 * Sends an undo request and says what became of the change: undone, already gone, still terminating, or
 * still there. With `confirmGone`, an accepted deletion counts as undone only once the object is gone.
 */
export async function sendUndo(
  net: NetClient,
  undo: UndoRequest,
  credential: CredentialSecret | undefined,
  wait: GoneWait = { deadlineMs: DEFAULT_UNDO_WAIT_MS },
): Promise<UndoOutcome> {
  let res: HttpResponse;
  try {
    res = await sendChange(net, undo, credential);
  } catch (err) {
    return { state: 'failed', error: oneLine(err) };
  }
  const accepted = isSuccess(res.status);
  // 409 to a namespace's deletion: it is already being deleted (by an earlier attempt); wait for it the same way.
  if (undo.confirmGone && (accepted || res.status === 409)) {
    const left = await awaitGone(net, undo.confirmGone, credential, wait);
    // Gone now, by this deletion or the one an earlier attempt started (the 409): undone either way.
    if (left === undefined) return { state: 'undone', response: res };
    const asked = accepted ? `deletion accepted (HTTP ${res.status})` : `already being deleted (HTTP ${res.status})`;
    return { state: 'terminating', response: res, error: `still terminating: ${asked}, ${left}` };
  }
  if (accepted) return { state: 'undone', response: res };
  if ((undo.goneStatuses ?? [404]).includes(res.status)) return { state: 'gone', response: res };
  return { state: 'failed', response: res, error: refusal(res) };
}

/** Statuses of an undo that another identity may succeed at: the one recorded was not allowed. */
export function deniedStatus(outcome: UndoOutcome): boolean {
  return outcome.response?.status === 401 || outcome.response?.status === 403;
}
