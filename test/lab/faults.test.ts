import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { type Lab, PORTS, parseFault, startLab } from '../../src/lab/index.js';
import { call } from './call.js';

// Loopback block 127.110.0.0/16 (see test/README.md).

/** One GET on a new connection: its status, how its body arrived, or how it failed. */
function get(
  url: string,
  timeoutMs = 3_000,
): Promise<{ status?: number; chunks: number; bytes: number; error?: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { agent: false, rejectUnauthorized: false }, (res) => {
      let chunks = 0;
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        chunks++;
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode, chunks, bytes, ms: performance.now() - started }));
      res.on('error', (err) => resolve({ chunks, bytes, error: err.message, ms: performance.now() - started }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('no answer')));
    req.on('error', (err) =>
      resolve({
        chunks: 0,
        bytes: 0,
        error: (err as NodeJS.ErrnoException).code ?? err.message,
        ms: performance.now() - started,
      }),
    );
  });
}

describe('a lab network that slows and breaks on demand (LabOptions.faults)', () => {
  let lab: Lab;
  let node: string;
  const readOnly = (path: string) => `http://${node}:${PORTS.kubeletReadOnly}${path}`;

  before(async () => {
    lab = await startLab({
      base: '127.110.0.2',
      nodes: 1,
      etcd: 'off',
      scale: { podsPerNode: 300, seed: 5 },
      faults: [
        { port: PORTS.kubeletReadOnly, latencyMs: 250, jitterMs: 50, stallFirst: 2 },
        { port: PORTS.kubeProxyHealth, resetShare: 0.5 },
        { port: PORTS.kubelet, trickle: { bytes: 16 * 1024, everyMs: 20 } },
      ],
    });
    node = lab.hosts[1].address;
  });
  after(() => lab?.stop());

  it('holds the first connections without a word, then answers every request late', async () => {
    const stalled = await Promise.all([get(readOnly('/healthz'), 600), get(readOnly('/healthz'), 600)]);
    for (const s of stalled) assert.equal(s.error, 'no answer');
    const tcp = lab.requests.filter((r) => r.port === PORTS.kubeletReadOnly && r.method === 'TCP');
    assert.equal(tcp.length, 2, 'each stalled connection is in the request log');
    for (let i = 0; i < 3; i++) {
      const answered = await get(readOnly('/healthz'));
      assert.equal(answered.status, 200);
      assert.ok(answered.ms >= 190, `${Math.round(answered.ms)} ms: latency 250 ± 50`);
    }
  });

  it('resets a share of connections, drawn from the seed', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await get(`http://${node}:${PORTS.kubeProxyHealth}/healthz`);
      outcomes.push(r.status === 200 ? 'ok' : (r.error ?? '?'));
    }
    const resets = outcomes.filter((o) => o === 'ECONNRESET').length;
    assert.ok(resets >= 4 && resets <= 20, outcomes.join(' '));
    assert.equal(resets + outcomes.filter((o) => o === 'ok').length, 24, outcomes.join(' '));

    const again = await startLab({
      base: '127.110.1.2',
      nodes: 1,
      etcd: 'off',
      scale: { seed: 5 },
      faults: [{ port: PORTS.kubeProxyHealth, resetShare: 0.5 }],
    });
    try {
      const replay: string[] = [];
      for (let i = 0; i < 24; i++) {
        const r = await get(`http://${again.hosts[1].address}:${PORTS.kubeProxyHealth}/healthz`);
        replay.push(r.status === 200 ? 'ok' : (r.error ?? '?'));
      }
      assert.deepEqual(replay, outcomes, 'the same seed resets the same connections');
    } finally {
      await again.stop();
    }
  });

  it('trickles a body a few KiB at a time, whole in the end', async () => {
    const whole = await call(`https://${node}:${PORTS.kubelet}/pods`, { timeoutMs: 30_000 });
    assert.equal(whole.status, 200);
    assert.ok(whole.json.items.length > 300, 'the whole list arrives');
    const piece = 16 * 1024;
    const pieces = Math.ceil(Buffer.byteLength(whole.text) / piece);
    assert.ok(pieces >= 5, `${pieces} pieces`);
    const timed = await get(`https://${node}:${PORTS.kubelet}/pods`, 30_000);
    assert.equal(timed.bytes, Buffer.byteLength(whole.text));
    assert.ok(timed.chunks >= pieces, `${timed.chunks} chunks for ${pieces} pieces of 16 KiB`);
    assert.ok(timed.ms >= (pieces - 1) * 20 * 0.9, `${Math.round(timed.ms)} ms for ${pieces} pieces 20 ms apart`);
  });

  it('reads --fault specs, and refuses a bad one in one line', () => {
    assert.deepEqual(parseFault('10250:latency=300,jitter=100,stall=2,reset=0.1,trickle=1024/50,host=127.0.0.3'), {
      port: 10250,
      latencyMs: 300,
      jitterMs: 100,
      stallFirst: 2,
      resetShare: 0.1,
      trickle: { bytes: 1024, everyMs: 50 },
      host: '127.0.0.3',
    });
    for (const [text, message] of [
      ['10250', /^--fault "10250": expected PORT:what=value,…/],
      ['70000:latency=1', /^--fault "70000:latency=1": 70000 is not a port$/],
      ['10250:reset=2', /reset takes a number from 0 to 1$/],
      ['10250:trickle=fast', /trickle takes BYTES\/MS/],
      ['10250:host=10.0.0.1', /host takes a lab address in 127\.0\.0\.0\/8$/],
      ['10250:drop=1', /"drop" is none of latency, jitter, stall, reset, trickle, host$/],
    ] as const) {
      assert.throws(
        () => parseFault(text),
        (err: unknown) => err instanceof UsageError && message.test(err.message) && !err.message.includes('\n'),
        text,
      );
    }
  });
});
