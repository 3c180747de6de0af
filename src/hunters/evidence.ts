import type { CoverageReason } from '../core/events.js';
import type { HuntContext } from '../core/hunter.js';
import { redactPatterns } from '../core/redact.js';
import type { HttpResponse, StreamedResponse } from '../net/network.js';

// Small pieces every passive hunter's evidence is made of. Evidence is one line, says what was asked and
// what came back, and never carries a secret: bodies are summarised, not copied.

/** `a, b, c, … (12 in all)`: the first few of a list, and how many there are. */
export function sample(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')}, … (${items.length} in all)`;
}

/** A short piece of a body as one line: control characters as spaces, cut at `max`, secret-looking runs redacted. */
export function quote(text: string, max = 60): string {
  const line = text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, max + 1);
  const cut = line.length > max ? `${line.slice(0, max)}…` : line;
  return `"${redactPatterns(cut)}"`;
}

/** `GET /pods → 200: what was seen`. */
export function said(res: Pick<HttpResponse, 'url' | 'status'>, what: string, method = 'GET'): string {
  const url = new URL(res.url);
  return `${method} ${url.pathname}${url.search} → ${res.status}${what ? `: ${what}` : ''}`;
}

/** Why a streamed read stopped early, as a coverage reason: the hunter's deadline, silence, or an error. */
function cutReason(ctx: Pick<HuntContext, 'signal'>, cut: string): CoverageReason {
  if (ctx.signal.aborted) return 'deadline';
  return /timed out|no answer in time/.test(cut) ? 'timeout' : 'error';
}

/**
 * Records a streamed read the hunter could not take to its end as a coverage gap, subject its path: cut by
 * a deadline or silence, or by an error in an answer that was what the hunter reads (`understood`; an
 * answer that simply was not one is no gap). `examined` says how far it got, e.g. `up to pod 4000`.
 */
export function streamGap(
  ctx: Pick<HuntContext, 'signal' | 'gap'>,
  service: { host: string; port: number },
  read: Pick<StreamedResponse<unknown>, 'cut' | 'url'>,
  understood: boolean,
  examined: string,
): void {
  if (!read.cut) return;
  const reason = cutReason(ctx, read.cut);
  if (reason === 'error' && !understood) return;
  const path = new URL(read.url).pathname;
  ctx.gap({
    host: service.host,
    port: service.port,
    subject: path,
    reason,
    detail: `${path} was read ${examined}, then: ${read.cut}`,
  });
}

/** `1 pod`, `3 pods`: a count and its noun (plural with an s unless given). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** A byte count people read: 512 bytes, 3.1 KiB, 8.0 MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Flag names whose values are credentials rather than settings (a path to a file holding one is kept). */
const SECRET_FLAG = /token|passw|secret|credential|api-?key|auth-key|private-key|key-data|cert-data/i;

/**
 * A process command line (`/debug/pprof/cmdline`: arguments separated by NUL bytes) as a list of
 * arguments, with the values of credential flags and anything that looks like a secret redacted.
 */
export function commandLine(text: string): string[] {
  const args = text.includes('\0') ? text.split('\0') : text.split(/\s+/);
  return args
    .filter((a) => a.length > 0)
    .map((arg) => {
      const m = /^(--?[A-Za-z0-9-]+)=(.*)$/s.exec(arg);
      if (m && SECRET_FLAG.test(m[1]) && !m[2].startsWith('/')) return `${m[1]}=[redacted]`;
      return redactPatterns(arg);
    });
}

/**
 * A `/debug/pprof/cmdline` answer as evidence: `/usr/bin/kubelet with 8 arguments: --a=1; --b=2; …`, or
 * undefined when the answer is no command line (a refusal, a page, JSON).
 */
export function describeCommandLine(res: HttpResponse, max = 700): string | undefined {
  const body = res.status === 200 ? res.text() : '';
  if (!body.trim() || /^\s*</.test(body) || res.json() !== undefined) return undefined;
  const args = commandLine(body);
  return `${args[0]} with ${count(args.length - 1, 'argument')}: ${joinCapped(args.slice(1), max)}`;
}

/** The first `max` characters of a list of parts joined by `; `, cut at a part boundary. */
export function joinCapped(parts: readonly string[], max = 900): string {
  const out: string[] = [];
  let length = 0;
  for (const p of parts) {
    if (length + p.length > max && out.length > 0) {
      out.push(`… (${parts.length - out.length} more)`);
      break;
    }
    out.push(p);
    length += p.length + 2;
  }
  return out.join('; ');
}
