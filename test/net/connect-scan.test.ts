import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { type ConnectScanOptions, connectScan, type ProbeState, type ScanHost } from '../../src/net/connect-scan.js';
import { requireComponent } from '../helpers/components.js';
import { startTcpServer, type TestServer } from '../helpers/servers.js';

// Block 127.0.8.0/24 (and ::1). Both ways of probing are tested: through Node's TCP handle (the default)
// and through net.Socket (where the handle is not available).

const servers: TestServer[] = [];
const children: ChildProcess[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const c of children) c.kill();
});

/** A port on `host` with nothing listening: bound and closed again at once. */
async function closedPort(host: string): Promise<number> {
  const s = net.createServer();
  s.listen(0, host);
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function scan(hosts: ScanHost[], extra: Partial<ConnectScanOptions> = {}) {
  const outcomes = new Map<string, ProbeState>();
  const open: string[] = [];
  const stats = await connectScan(hosts.values(), {
    concurrency: 50,
    timeoutMs: 1500,
    admit: () => true,
    onOpen: (address, port) => open.push(`${address}:${port}`),
    onProbe: (address, port, state) => outcomes.set(`${address}:${port}`, state),
    ...extra,
  });
  return { stats, outcomes, open: open.sort() };
}

for (const sockets of [false, true]) {
  describe(`connect scan through ${sockets ? 'net.Socket' : 'the TCP handle'}`, () => {
    it('tells open from closed on many hosts, resets what it opened, and skips hosts not admitted', async () => {
      const resets: string[] = [];
      const a = await startTcpServer('127.0.8.2', (s) =>
        s.on('error', (e: NodeJS.ErrnoException) => resets.push(e.code ?? '')),
      );
      const b = await startTcpServer('127.0.8.3', (s) =>
        s.on('error', (e: NodeJS.ErrnoException) => resets.push(e.code ?? '')),
      );
      servers.push(a, b);
      const closed = await closedPort('127.0.8.2');
      const hosts = ['127.0.8.2', '127.0.8.3', '127.0.8.4', '127.0.8.5'].map((address) => ({
        address,
        ports: [a.port, b.port, closed],
      }));
      const { stats, outcomes, open } = await scan(hosts, { sockets, admit: (h) => h !== '127.0.8.5' });
      assert.deepEqual(open, [`127.0.8.2:${a.port}`, `127.0.8.3:${b.port}`].sort());
      assert.deepEqual(stats, { hosts: 4, probes: 9, open: 2, retried: 0 });
      assert.equal([...outcomes.values()].filter((s) => s === 'closed').length, 7);
      assert.ok(![...outcomes.keys()].some((k) => k.startsWith('127.0.8.5:')), 'a host not admitted is never probed');
      // The open connections were reset, not closed: the servers saw ECONNRESET.
      for (let i = 0; i < 50 && resets.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(resets, ['ECONNRESET', 'ECONNRESET']);
    });

    it('scans IPv6 (::1)', async () => {
      const v6 = await startTcpServer('::1', () => undefined);
      servers.push(v6);
      const { open, stats } = await scan([{ address: '::1', ports: [v6.port, await closedPort('::1')] }], { sockets });
      assert.deepEqual(open, [`::1:${v6.port}`]);
      assert.equal(stats.probes, 2);
    });

    it('reports a port that never answers the SYN as filtered after its timeout', async (t) => {
      if (!requireComponent(t, 'python3', 'python3')) return;
      // A listener that never accepts, its one-deep queue filled: the kernel drops further SYNs, as a
      // firewall does.
      const child = spawn('python3', [
        '-c',
        'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.8.9",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)',
      ]);
      children.push(child);
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      const held: net.Socket[] = [];
      for (let i = 0; i < 2; i++) {
        const s = net.connect(port, '127.0.8.9');
        s.on('error', () => undefined);
        held.push(s);
      }
      await new Promise((r) => setTimeout(r, 200));
      try {
        const started = performance.now();
        const { outcomes, stats } = await scan([{ address: '127.0.8.9', ports: [port] }], { sockets, timeoutMs: 400 });
        assert.equal(outcomes.get(`127.0.8.9:${port}`), 'filtered');
        assert.equal(stats.open, 0);
        assert.ok(performance.now() - started >= 400, 'it waited for its timeout');
      } finally {
        for (const s of held) s.destroy();
      }
    });

    it('stops at once when aborted, with every probe in flight given up', async () => {
      const controller = new AbortController();
      const hosts = Array.from({ length: 200 }, (_, i) => ({ address: `127.0.8.${(i % 50) + 100}`, ports: [1, 2, 3] }));
      setImmediate(() => controller.abort());
      const { stats } = await scan(hosts, { sockets, signal: controller.signal });
      assert.ok(stats.probes < 600, `${stats.probes} probes before the abort`);
    });
  });
}
