import net from 'node:net';
import { getSystemErrorName } from 'node:util';

/** One host to probe: a normalised address literal and the ports to try on it. */
export interface ScanHost {
  address: string;
  ports: readonly number[];
}

export type ProbeState = 'open' | 'closed' | 'filtered';

export interface ConnectScanOptions {
  /** Connections in flight at once. */
  concurrency: number;
  /** Connect deadline per probe, ms. */
  timeoutMs: number;
  /**
   * Pacing of new connections (--rate), shared with whatever else connects: 0 when a connect may start now
   * (the slot is taken), else the ms to wait before asking again. Undefined for no limit.
   */
  pace?: () => number;
  signal?: AbortSignal;
  /** Probe with net.Socket even where the TCP handle is available (tests of that path). */
  sockets?: boolean;
  /** Decides, once per host, whether it may be contacted; a refused host is skipped whole. */
  admit(address: string): boolean;
  onOpen(address: string, port: number): void;
  /** Every probe's outcome, for the audit trail (only set when a trace file is written). */
  onProbe?(address: string, port: number, state: ProbeState, durationMs: number): void;
  /** Called once per host when all its probes are done (or it was refused), with the counts so far. */
  onHostDone?(address: string, stats: Readonly<ConnectScanStats>): void;
}

export interface ConnectScanStats {
  hosts: number;
  probes: number;
  open: number;
  /** Probes retried because the local machine ran out of sockets or ports. */
  retried: number;
}

interface HostState {
  address: string;
  v6: boolean;
  ports: readonly number[];
  next: number;
  pending: number;
}

const PROBE = Symbol('probe');
type ProbeSocket = net.Socket & { [PROBE]?: Probe };

// The TCP handle under net.Socket, from Node's tcp_wrap binding (what net.js itself connects with). A probe
// only needs connect, close and reset: through the handle it costs less than half the CPU of a net.Socket
// (14 against 33 µs per refused probe, bench/README.md), which spends the rest building a stream per probe
// and an Error with a stack trace per refusal. The binding is not public API: it is checked once, and
// without it (a future Node) the scan uses net.Socket, as the tests do too.
interface RawHandle {
  connect(req: RawConnect, address: string, port: number): number;
  connect6(req: RawConnect, address: string, port: number): number;
  close(): void;
  reset?(callback: () => void): number;
}
interface RawConnect {
  oncomplete: (status: number, handle: RawHandle, req: RawConnect) => void;
  address: string;
  port: number;
  [PROBE]?: Probe;
}
interface RawTcp {
  TCP: new (type: number) => RawHandle;
  TCPConnectWrap: new () => RawConnect;
  constants: { SOCKET: number };
}

function loadRawTcp(): RawTcp | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<RawTcp> }).binding('tcp_wrap');
    const { TCP, TCPConnectWrap, constants } = binding;
    if (typeof TCP !== 'function' || typeof TCPConnectWrap !== 'function' || typeof constants?.SOCKET !== 'number') {
      return undefined;
    }
    const probe = new TCP(constants.SOCKET);
    const ok = typeof probe.connect === 'function' && typeof probe.connect6 === 'function';
    probe.close();
    return ok ? (binding as RawTcp) : undefined;
  } catch {
    return undefined;
  }
}

let rawTcp: RawTcp | undefined | null = null;

interface Probe {
  host: HostState;
  port: number;
  attempt: number;
  /** A TCP handle, or a net.Socket where the handle is not available. */
  socket: ProbeSocket | undefined;
  handle: RawHandle | undefined;
  started: number;
  /** Position in the live list, -1 once settled. */
  slot: number;
}

function noop(): void {}

// Local resource exhaustion says nothing about the target: such a probe is retried, never reported.
const LOCAL_ERRORS = new Set(['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS', 'EAGAIN']);
const MAX_ATTEMPTS = 5;

function outcomeOf(code: string): ProbeState | 'retry' {
  return code === 'ECONNREFUSED' ? 'closed' : LOCAL_ERRORS.has(code) ? 'retry' : 'filtered';
}

function errorName(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return '';
  }
}
/** How often deadlines are checked: a probe times out within this much after its timeout. */
const SWEEP_MS = 50;

/**
 * TCP connect scan with many sockets in flight, built for large ranges: hosts are pulled lazily from an
 * iterator so memory stays flat however large the range; there is no promise and no timer per probe (one
 * sweep over the live probes checks every deadline, and a settled probe is dropped at once, so nothing
 * short-lived survives long enough to burden the garbage collector); open connections are reset, so no
 * TIME_WAIT piles up.
 */
export function connectScan(hosts: Iterator<ScanHost>, options: ConnectScanOptions): Promise<ConnectScanStats> {
  const stats: ConnectScanStats = { hosts: 0, probes: 0, open: 0, retried: 0 };
  const { timeoutMs, signal } = options;
  if (rawTcp === null) rawTcp = loadRawTcp();
  const raw = options.sockets ? undefined : rawTcp;
  let limit = Math.max(1, options.concurrency);
  const live: Probe[] = [];
  let exhausted = false;
  let current: HostState | undefined;
  /** Probes taken from the hosts but not started: retries after a local error, and one waiting for --rate. */
  const queued: Array<{ host: HostState; port: number; attempt: number }> = [];
  let sweeper: NodeJS.Timeout | undefined;
  let pacer: NodeJS.Timeout | undefined;
  let finished = false;
  let resolveDone: (s: ConnectScanStats) => void;
  const done = new Promise<ConnectScanStats>((r) => {
    resolveDone = r;
  });

  const hostDone = (host: HostState) => {
    stats.hosts++;
    options.onHostDone?.(host.address, stats);
  };

  const nextProbe = (): { host: HostState; port: number; attempt: number } | undefined => {
    const retry = queued.pop();
    if (retry) return retry;
    for (;;) {
      if (current && current.next < current.ports.length) {
        current.pending++;
        return { host: current, port: current.ports[current.next++], attempt: 1 };
      }
      if (exhausted) return undefined;
      const r = hosts.next();
      if (r.done) {
        exhausted = true;
        current = undefined;
        return undefined;
      }
      const { address, ports } = r.value;
      const h: HostState = { address, v6: net.isIPv6(address), ports, next: 0, pending: 0 };
      if (h.ports.length === 0 || !options.admit(h.address)) {
        hostDone(h);
        continue;
      }
      current = h;
    }
  };

  const unlink = (probe: Probe) => {
    const last = live.pop()!;
    if (last !== probe) {
      live[probe.slot] = last;
      last.slot = probe.slot;
    }
    probe.slot = -1;
  };

  const settle = (probe: Probe, outcome: ProbeState | 'retry') => {
    if (probe.slot < 0) return;
    unlink(probe);
    const state = outcome === 'retry' && probe.attempt >= MAX_ATTEMPTS ? 'filtered' : outcome;
    const { host, port, socket, handle } = probe;
    if (handle) {
      probe.handle = undefined;
      // A reset, not a close, for an open connection: no TIME_WAIT.
      if (state !== 'open' || !handle.reset || handle.reset(noop) !== 0) handle.close();
    } else if (socket) {
      probe.socket = undefined;
      socket[PROBE] = undefined;
      if (state === 'open') socket.resetAndDestroy();
      else socket.destroy();
    }
    if (state === 'retry') {
      queued.push({ host, port, attempt: probe.attempt + 1 });
      stats.retried++;
      // The machine said "no more sockets": run with fewer in flight from now on, and give it a moment.
      limit = Math.max(16, Math.min(limit, live.length));
      if (!pacer) pacer = setTimeout(resume, 20);
      return;
    }
    stats.probes++;
    if (state === 'open') {
      stats.open++;
      options.onOpen(host.address, port);
    }
    options.onProbe?.(host.address, port, state, performance.now() - probe.started);
    host.pending--;
    if (host.pending === 0 && host.next >= host.ports.length) hostDone(host);
    pump();
  };

  // One pair of handlers for every socket, finding the probe on the socket: no closures per probe.
  function onConnect(this: ProbeSocket): void {
    if (this[PROBE]) settle(this[PROBE], 'open');
  }
  function onError(this: ProbeSocket, err: NodeJS.ErrnoException): void {
    if (this[PROBE]) settle(this[PROBE], outcomeOf(err.code ?? ''));
  }
  // The handle's connect completes here with 0 or a negative errno; after a timeout's close it may still
  // complete (cancelled): the probe is settled by then and that is ignored.
  function onComplete(status: number, _handle: RawHandle, req: RawConnect): void {
    const probe = req[PROBE];
    req[PROBE] = undefined;
    if (probe) settle(probe, status === 0 ? 'open' : outcomeOf(errorName(status)));
  }

  const start = (host: HostState, port: number, attempt: number) => {
    const probe: Probe = {
      host,
      port,
      attempt,
      socket: undefined,
      handle: undefined,
      started: performance.now(),
      slot: live.length,
    };
    live.push(probe);
    if (raw) {
      const handle = new raw.TCP(raw.constants.SOCKET);
      const req = new raw.TCPConnectWrap();
      req.oncomplete = onComplete;
      req.address = host.address;
      req.port = port;
      req[PROBE] = probe;
      probe.handle = handle;
      const err = host.v6 ? handle.connect6(req, host.address, port) : handle.connect(req, host.address, port);
      // Refused at once (no socket or port left here, a bad address): settled on the next tick, as
      // net.Socket reports it, so the pump does not recurse.
      if (err !== 0) {
        req[PROBE] = undefined;
        process.nextTick(settle, probe, outcomeOf(errorName(err)));
      }
    } else {
      const socket = new net.Socket() as ProbeSocket;
      probe.socket = socket;
      socket[PROBE] = probe;
      socket.on('connect', onConnect);
      socket.on('error', onError);
      socket.connect(port, host.address);
    }
    if (!sweeper) sweeper = setInterval(sweep, Math.min(SWEEP_MS, timeoutMs));
  };

  function sweep(): void {
    const expired = performance.now() - timeoutMs;
    for (let i = live.length - 1; i >= 0; i--) {
      // Settling moves the last live probe into slot i: that one was already checked.
      const p = live[i];
      if (p && p.started <= expired) settle(p, 'filtered');
    }
    if (live.length === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  function pump(): void {
    if (finished) return;
    if (signal?.aborted) {
      finish();
      return;
    }
    while (live.length < limit) {
      const probe = nextProbe();
      if (!probe) break;
      const wait = options.pace?.() ?? 0;
      if (wait > 0) {
        // Not yet: the probe waits at the head of the queue for its slot.
        queued.push(probe);
        if (!pacer) pacer = setTimeout(resume, Math.max(1, Math.ceil(wait)));
        return;
      }
      start(probe.host, probe.port, probe.attempt);
    }
    if (live.length === 0 && exhausted && queued.length === 0) finish();
  }

  function resume(): void {
    pacer = undefined;
    pump();
  }

  function finish(): void {
    if (finished) return;
    finished = true;
    clearInterval(sweeper);
    clearTimeout(pacer);
    signal?.removeEventListener('abort', onAbort);
    for (const p of live) {
      p.slot = -1;
      p.handle?.close();
      p.socket?.destroy();
    }
    live.length = 0;
    resolveDone(stats);
  }

  const onAbort = () => finish();
  signal?.addEventListener('abort', onAbort, { once: true });
  // Start on the next tick so callers can attach to the promise before the first results arrive.
  setImmediate(pump);
  return done;
}
