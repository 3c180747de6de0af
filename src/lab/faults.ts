import type http from 'node:http';
import net from 'node:net';
import { UsageError } from '../core/errors.js';
import { seeded } from './seed-bulk.js';

// A slow or flaky network on chosen lab ports, on demand and deterministic (seeded), so a test can make a
// timeout, a reset or a trickling body happen and check that the hunt reports it. Connections are taken by
// a front listener that decides each one's fate before the component's server sees it; answers are slowed
// in the component's own response.

/** What goes wrong on one port (of every lab host that listens on it, or of `host` only). */
export interface FaultSpec {
  port: number;
  host?: string;
  /** Added before each request is answered, ms. */
  latencyMs?: number;
  /** Up to this much more or less latency, drawn per request, ms. */
  jitterMs?: number;
  /** The first N connections are accepted and never answered (held until the lab stops). */
  stallFirst?: number;
  /** This share of connections (0-1, after the stalled ones) is reset as soon as it is accepted. */
  resetShare?: number;
  /** Bodies are sent `bytes` at a time, one piece every `everyMs`. */
  trickle?: { bytes: number; everyMs: number };
}

/** The fault of a port, with its own seeded draws. */
export class Fault {
  private readonly random: () => number;
  private connections = 0;

  constructor(
    readonly spec: FaultSpec,
    seed: number,
  ) {
    // One stream of draws per port, so adding a fault on another port changes nothing here.
    this.random = seeded((seed * 65_537 + spec.port) >>> 0);
  }

  /** What becomes of the next connection. */
  nextConnection(): 'stall' | 'reset' | 'serve' {
    this.connections++;
    if (this.connections <= (this.spec.stallFirst ?? 0)) return 'stall';
    const share = this.spec.resetShare ?? 0;
    return share > 0 && this.random() < share ? 'reset' : 'serve';
  }

  /** The latency of the next request, ms. */
  nextLatency(): number {
    const { latencyMs = 0, jitterMs = 0 } = this.spec;
    return Math.max(0, latencyMs + (this.random() * 2 - 1) * jitterMs);
  }
}

/**
 * A front listener for a faulty port: stalls or resets connections as the fault says and hands the others to
 * `server` (which does not listen itself). Returns the front and a closer that also ends held connections.
 */
export function faultyFront(
  fault: Fault,
  server: http.Server,
  onConnection: () => void,
): { front: net.Server; close: () => void } {
  const held = new Set<net.Socket>();
  const front = net.createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => undefined);
    const fate = fault.nextConnection();
    if (fate === 'serve') {
      server.emit('connection', socket);
      socket.resume();
      return;
    }
    onConnection();
    if (fate === 'reset') socket.resetAndDestroy();
    else {
      held.add(socket);
      socket.on('close', () => held.delete(socket));
    }
  });
  return {
    front,
    close: () => {
      for (const s of held) s.destroy();
    },
  };
}

/** Delays the handler by the fault's latency and makes the response trickle when asked to. */
export async function slowed(fault: Fault, res: http.ServerResponse): Promise<void> {
  const { trickle } = fault.spec;
  if (trickle) trickleBody(res, trickle.bytes, trickle.everyMs);
  const latency = fault.nextLatency();
  if (latency > 0) await new Promise((r) => setTimeout(r, latency));
}

/**
 * Replaces `res.write` and `res.end` by a queue sent `bytes` at a time every `everyMs`; writes report
 * backpressure while the queue is long, and 'drain' is emitted once it is sent, as a slow link would.
 */
function trickleBody(res: http.ServerResponse, bytes: number, everyMs: number): void {
  const write = res.write.bind(res) as (chunk: Buffer) => boolean;
  const end = res.end.bind(res) as (cb?: () => void) => http.ServerResponse;
  const queue: Buffer[] = [];
  let ending = false;
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    if (res.destroyed) return;
    let left = bytes;
    while (left > 0 && queue.length > 0) {
      const head = queue[0];
      const piece = head.subarray(0, left);
      write(piece);
      left -= piece.length;
      if (piece.length === head.length) queue.shift();
      else queue[0] = head.subarray(piece.length);
    }
    if (queue.length > 0) timer = setTimeout(pump, everyMs);
    else if (ending) end();
    else res.emit('drain');
  };
  const schedule = () => {
    timer ??= setTimeout(pump, everyMs);
  };
  res.on('close', () => clearTimeout(timer));
  const toBuffer = (chunk: unknown, encoding?: unknown): Buffer | undefined => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
    return Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  };
  res.write = ((chunk: unknown, encoding?: unknown) => {
    const buf = toBuffer(chunk, encoding);
    if (buf && buf.length > 0) queue.push(buf);
    schedule();
    return queue.length < 4;
  }) as typeof res.write;
  res.end = ((chunk?: unknown, encoding?: unknown) => {
    const buf = toBuffer(chunk, encoding);
    if (buf && buf.length > 0) queue.push(buf);
    // A length known in advance would make the client wait for all of it anyway; keep the headers as sent.
    ending = true;
    schedule();
    return res;
  }) as typeof res.end;
}

const FAULT_KEYS = ['latency', 'jitter', 'stall', 'reset', 'trickle', 'host'] as const;

/**
 * `--fault PORT:latency=300,jitter=100,stall=2,reset=0.1,trickle=1024/50,host=127.0.0.3` as a FaultSpec;
 * a bad one is a UsageError naming the part that is wrong.
 */
export function parseFault(text: string): FaultSpec {
  const bad = (why: string) => new UsageError(`--fault "${text}": ${why}`);
  const m = /^(\d{1,5}):(.+)$/.exec(text.trim());
  if (!m) throw bad('expected PORT:what=value,… (latency, jitter, stall, reset, trickle, host)');
  const port = Number(m[1]);
  if (port < 1 || port > 65_535) throw bad(`${port} is not a port`);
  const spec: FaultSpec = { port };
  const number = (key: string, value: string, max: number) => {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < 0 || n > max) throw bad(`${key} takes a number from 0 to ${max}`);
    return n;
  };
  for (const part of m[2].split(',')) {
    const [key, value = ''] = part.split('=', 2);
    switch (key as (typeof FAULT_KEYS)[number]) {
      case 'latency':
        spec.latencyMs = number(key, value, 600_000);
        break;
      case 'jitter':
        spec.jitterMs = number(key, value, 600_000);
        break;
      case 'stall':
        spec.stallFirst = Math.floor(number(key, value, 1_000_000));
        break;
      case 'reset':
        spec.resetShare = number(key, value, 1);
        break;
      case 'trickle': {
        const t = /^(\d+)\/(\d+)$/.exec(value);
        if (!t || Number(t[1]) < 1) throw bad('trickle takes BYTES/MS, e.g. 1024/50');
        spec.trickle = { bytes: Number(t[1]), everyMs: Number(t[2]) };
        break;
      }
      case 'host':
        if (net.isIPv4(value) && value.startsWith('127.')) spec.host = value;
        else throw bad('host takes a lab address in 127.0.0.0/8');
        break;
      default:
        throw bad(`"${key}" is none of ${FAULT_KEYS.join(', ')}`);
    }
  }
  return spec;
}
