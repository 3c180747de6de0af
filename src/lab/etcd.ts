import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { EtcdGateway, type EtcdTls } from './etcd-client.js';
import type { CertKey } from './pki.js';
import { CONTROL_PLANE_NAME, PORTS } from './topology.js';

// The lab holds the watcher's stdin open; when it closes (stop(), or the lab's process dying), cat returns and
// the watcher takes etcd down, so no etcd outlives the lab. When etcd exits, the shell removes its temporary
// directory and exits too.
// (A background job's stdin is /dev/null, so the watcher reads the lab's pipe through fd 3; the shell stops
// writing to the lab's pipes, which a dead lab would answer with SIGPIPE; its own process group keeps a
// terminal's Ctrl-C for the lab, which stops etcd itself.)
const WATCHDOG = `exec 3<&0
"$0" "$@" </dev/null 3<&- &
pid=$!
echo "$pid"
exec >/dev/null 2>&1
( cat <&3 >/dev/null; kill "$pid" 2>/dev/null ) &
watcher=$!
wait "$pid"
code=$?
kill "$watcher" 2>/dev/null
[ -n "$KF_ETCD_DIR" ] && rm -rf -- "$KF_ETCD_DIR"
exit "$code"`;

export interface RealEtcdOptions {
  binary: string;
  address: string;
  /** Serving and peer certificate plus CA when clients must present certificates; plain HTTP otherwise. */
  tls?: { server: CertKey; ca: string; client: CertKey };
  startTimeoutMs?: number;
}

/** The real etcd binary on the control plane's 2379 and 2380, in a temporary data directory. */
export class RealEtcd {
  private child?: ChildProcess;
  private etcdPid?: number;
  private dir?: string;
  private stderr = '';
  readonly gateway: EtcdGateway;

  constructor(private readonly options: RealEtcdOptions) {
    const scheme = options.tls ? 'https' : 'http';
    const tls: EtcdTls | undefined = options.tls && {
      ca: options.tls.ca,
      cert: options.tls.client.cert,
      key: options.tls.client.key,
    };
    this.gateway = new EtcdGateway(`${scheme}://${options.address}:${PORTS.etcd}`, tls);
  }

  async start(): Promise<void> {
    const { binary, address, tls } = this.options;
    this.dir = await mkdtemp(join(tmpdir(), 'kubeferret-etcd-'));
    const scheme = tls ? 'https' : 'http';
    const client = `${scheme}://${address}:${PORTS.etcd}`;
    const peer = `${scheme}://${address}:${PORTS.etcdPeer}`;
    const args = [
      `--name=${CONTROL_PLANE_NAME}`,
      `--data-dir=${join(this.dir, 'data')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${CONTROL_PLANE_NAME}=${peer}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=kubeferret-lab',
      '--snapshot-count=10000',
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=error',
    ];
    if (tls) {
      const files = {
        cert: join(this.dir, 'server.crt'),
        key: join(this.dir, 'server.key'),
        ca: join(this.dir, 'ca.crt'),
      };
      await writeFile(files.cert, tls.server.cert);
      await writeFile(files.key, tls.server.key, { mode: 0o600 });
      await writeFile(files.ca, tls.ca);
      args.push(
        `--cert-file=${files.cert}`,
        `--key-file=${files.key}`,
        `--trusted-ca-file=${files.ca}`,
        '--client-cert-auth=true',
        `--peer-cert-file=${files.cert}`,
        `--peer-key-file=${files.key}`,
        `--peer-trusted-ca-file=${files.ca}`,
        '--peer-client-cert-auth=true',
      );
    }
    const child = spawn('sh', ['-c', WATCHDOG, binary, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, KF_ETCD_DIR: this.dir },
    });
    this.child = child;
    child.stdout?.once('data', (d: Buffer) => {
      this.etcdPid = Number(d.toString().trim().split('\n')[0]) || undefined;
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    while (!(await this.gateway.healthy())) {
      if (gone || Date.now() > deadline) {
        const why = this.problem();
        await this.stop();
        throw why;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private problem(): Error {
    const { address } = this.options;
    const inUse = /listen tcp ([\d.]+:\d+): bind: address already in use/.exec(this.stderr);
    if (inUse) return new UsageError(`${inUse[1]} is already in use`);
    const last = this.stderr.trim().split('\n').pop() ?? 'no output';
    return new Error(`etcd did not become healthy on ${address}:${PORTS.etcd}: ${last.slice(0, 300)}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      const timer = setTimeout(() => {
        if (this.etcdPid) {
          try {
            process.kill(this.etcdPid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        child.kill('SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
