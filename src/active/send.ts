import type { ChangeRequest, UndoOutcome, UndoRequest } from '../core/changes.js';
import { oneLine } from '../core/errors.js';
import type { CredentialSecret } from '../core/events.js';
import type { HttpResponse, NetClient } from '../net/network.js';
import { redactPatterns } from '../report/redact.js';

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

/** Sends an undo request and says what became of the change: undone, already gone, or still there. */
export async function sendUndo(
  net: NetClient,
  undo: UndoRequest,
  credential: CredentialSecret | undefined,
): Promise<UndoOutcome> {
  let res: HttpResponse;
  try {
    res = await sendChange(net, undo, credential);
  } catch (err) {
    return { state: 'failed', error: oneLine(err) };
  }
  if (isSuccess(res.status)) return { state: 'undone', response: res };
  if ((undo.goneStatuses ?? [404]).includes(res.status)) return { state: 'gone', response: res };
  return { state: 'failed', response: res, error: refusal(res) };
}

/** Statuses of an undo that another identity may succeed at: the one recorded was not allowed. */
export function deniedStatus(outcome: UndoOutcome): boolean {
  return outcome.response?.status === 401 || outcome.response?.status === 403;
}
