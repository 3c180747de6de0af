import { Worker } from 'node:worker_threads';

// Servers that answer while the test's own thread is stalled, as a real server in another process answers
// while the hunt computes: each runs in a worker thread (its own event loop) and steps in turn with the
// test through one shared integer, so the order is the same on a quiet machine and a loaded one.

/** Steps of the shared integer. */
export const STEP = {
  idle: 0,
  /** The server has an answer it holds back (or, for /stream, has sent the first part). */
  ready: 1,
  /** The test's thread is stalled: the server may go on. */
  stalled: 2,
  /** The server wrote its answer (or its rest) and the kernel has it: it waits in the test's socket. */
  written: 3,
  /** The server accepted a TCP connection (TLS servers only): it answers the handshake once stalled. */
  accepted: 4,
} as const;

// Plain JavaScript, so the worker needs no TypeScript loader: the step, shared with the test's thread.
const STEPS = `
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const step = new Int32Array(workerData.shared);
const set = (v) => { Atomics.store(step, 0, v); Atomics.notify(step, 0); parentPort.postMessage({ step: v }); };
const until = async (v) => {
  for (let now = Atomics.load(step, 0); now !== v; now = Atomics.load(step, 0)) {
    const w = Atomics.waitAsync(step, 0, now, 1000);
    if (w.async) await w.value;
  }
};
const serve = (server) => {
  server.listen(workerData.port ?? 0, workerData.host, () => parentPort.postMessage(server.address().port));
  parentPort.on('message', () => server.close(() => parentPort.postMessage({ closed: true })));
};
`;

const SERVER = `${STEPS}
const http = require('node:http');
const https = require('node:https');
const page = JSON.stringify({ kind: 'Table', rows: Array.from({ length: workerData.rows }, (_, i) => ({ cells: ['secret-' + i, 'Opaque'] })) });
const handler = async (req, res) => {
  if (req.url === '/silent') return;
  if (req.url === '/page') {
    set(1);
    await until(2);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(page, () => set(3));
    return;
  }
  if (req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"rows":[' + page.slice(0, 1), () => set(1));
    await until(2);
    res.end(page.slice(1) + ']}', () => set(3));
    return;
  }
  res.writeHead(404);
  res.end();
};
// With TLS: each connection's ClientHello is answered only once the test's thread is stalled, and the
// server's flight is taken as written 50 ms later (it is one write, done at once on loopback).
const inner = workerData.tls ? https.createServer(workerData.tls, handler) : undefined;
serve(inner
  ? net.createServer(async (socket) => {
      set(4);
      await until(2);
      inner.emit('connection', socket);
      setTimeout(() => set(3), 50);
    })
  : http.createServer(handler));
`;

// A TCP relay to a plain HTTP server: the answer to the first request whose first bytes match the pattern is
// read whole (by its Content-Length), held until the test's thread is stalled, then passed on.
const RELAY = `${STEPS}
const pattern = new RegExp(workerData.pattern);
let caught = false;
serve(net.createServer((client) => {
  const upstream = net.connect(workerData.upstream);
  let held;
  client.on('data', (d) => {
    if (!caught && pattern.test(d.toString('latin1'))) {
      caught = true;
      held = [];
    }
    upstream.write(d);
  });
  upstream.on('data', async (d) => {
    if (!held) return client.write(d);
    held.push(d);
    const all = Buffer.concat(held);
    const end = all.indexOf('\\r\\n\\r\\n');
    const length = end < 0 ? undefined : /content-length: *(\\d+)/i.exec(all.subarray(0, end).toString('latin1'));
    if (!length || all.length < end + 4 + Number(length[1])) return;
    held = undefined;
    set(1);
    await until(2);
    client.write(all, () => set(3));
  });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}));
`;

export interface StallWorker {
  port: number;
  /**
   * Waits for a step of the server's. It resolves from the worker's message, an I/O callback, so what the
   * test does next runs where a hunt's computation runs: after a socket was read, with the timers due
   * during it run only on the loop's next turn, before the sockets are read again.
   */
  waitFor(step: number): Promise<void>;
  /** Back to `idle`, before waiting for a step the server already reached once. */
  reset(): void;
  /**
   * Stalls this thread once the server is `ready` (or `accepted`): tells the server, waits for it to write,
   * then spins until `untilMs` (performance.now()).
   */
  stall(untilMs: number): void;
  /** Stalls this thread for `ms`, telling the server nothing. */
  spin(ms: number): void;
  close(): Promise<void>;
}

export interface StallServer extends StallWorker {
  url: string;
  /** The answer /page and /stream send, whole. */
  page: string;
}

function spinUntil(at: number): void {
  while (performance.now() < at) {
    // The hunt's own work, as far as the event loop can tell.
  }
}

async function startWorker(code: string, data: Record<string, unknown>): Promise<StallWorker> {
  const shared = new SharedArrayBuffer(4);
  const step = new Int32Array(shared);
  const worker = new Worker(code, { eval: true, workerData: { ...data, shared } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const waiting = new Set<() => void>();
  worker.on('message', () => {
    for (const check of waiting) check();
  });
  return {
    port,
    waitFor: (wanted) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (Atomics.load(step, 0) !== wanted) return;
          waiting.delete(check);
          resolve();
        };
        waiting.add(check);
        check();
      }),
    reset: () => Atomics.store(step, 0, STEP.idle),
    stall: (untilMs) => {
      // The server may not have said it is ready yet (the test saw its first bytes before that).
      for (let now = Atomics.load(step, 0); now !== STEP.ready && now !== STEP.accepted; now = Atomics.load(step, 0)) {
        Atomics.wait(step, 0, now, 100);
      }
      Atomics.store(step, 0, STEP.stalled);
      Atomics.notify(step, 0);
      // Node lets the main thread wait on shared memory: the loop is blocked as by a long computation.
      Atomics.wait(step, 0, STEP.stalled, 10_000);
      spinUntil(untilMs);
    },
    spin: (ms) => spinUntil(performance.now() + ms),
    close: async () => {
      const closed = new Promise((r) => worker.on('message', (m) => m.closed && r(m)));
      worker.postMessage('close');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      await worker.terminate();
    },
  };
}

/**
 * In a worker thread on `host`: /page answers a Table of `rows` rows only once the test's thread is stalled,
 * /stream sends its first byte, then the rest once the test's thread is stalled, /silent never answers.
 * With `tls`, it speaks HTTPS and each connection sets the step `accepted`, its handshake answered once the
 * test's thread is stalled (then it must not be used for /page or /stream).
 */
export async function startStallServer(
  host: string,
  rows = 500,
  tls?: { cert: string; key: string },
): Promise<StallServer> {
  const worker = await startWorker(SERVER, { host, rows, tls });
  const page = JSON.stringify({
    kind: 'Table',
    rows: Array.from({ length: rows }, (_, i) => ({ cells: [`secret-${i}`, 'Opaque'] })),
  });
  return { ...worker, url: `${tls ? 'https' : 'http'}://${host}:${worker.port}`, page };
}

/**
 * In a worker thread on `host:port`: a relay to the plain HTTP server `upstream` that holds the answer to
 * the first request matching `pattern` (its request line, say) until the test's thread is stalled: step
 * `ready` once the answer is in, `written` once it was passed on.
 */
export function startStallRelay(
  host: string,
  port: number,
  upstream: { host: string; port: number },
  pattern: RegExp,
): Promise<StallWorker> {
  return startWorker(RELAY, { host, port, upstream, pattern: pattern.source });
}
