import { closeSync, openSync, writeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UsageError } from '../core/errors.js';

/** One request a lab component received. */
export interface LabRequest {
  time: string;
  host: string;
  port: number;
  /** `kube-apiserver`, `kubelet`, `etcd`, `dashboard`, `kubectl-proxy`, `hostile`, `outside`, … */
  component: string;
  /** HTTP method; `TCP` for a connection to a port that never speaks HTTP. */
  method: string;
  /** Path with query string. */
  path: string;
  /** Who the component took the caller for: a user name, `system:anonymous`, or `-` when authentication failed. */
  identity: string;
  /** HTTP status; 0 when no HTTP answer was given. */
  status: number;
  /** The Accept header, unless absent or the wildcard: the same path in another representation (a Table). */
  accept?: string;
}

const identities = new WeakMap<IncomingMessage, string>();

/** Notes who a component took the caller of `req` for; recorded with the request. */
export function noteIdentity(req: IncomingMessage, identity: string): void {
  identities.set(req, identity);
}

/** Every request the lab received, in arrival order; optionally mirrored to a JSON-lines file. */
export class RequestLog {
  readonly entries: LabRequest[] = [];
  private fd?: number;

  constructor(readonly file?: string) {
    if (file) {
      try {
        this.fd = openSync(file, 'a');
      } catch (err) {
        throw new UsageError(`cannot write log file ${file}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }

  record(entry: LabRequest): void {
    this.entries.push(entry);
    if (this.fd !== undefined) writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  /** Records a TCP connection to a port that may never see an HTTP request. */
  connection(component: string, host: string, port: number): void {
    this.record({
      time: new Date().toISOString(),
      host,
      port,
      component,
      method: 'TCP',
      path: '',
      identity: '-',
      status: 0,
    });
  }

  /** Records an HTTP exchange once the answer is sent (or the client went away). */
  track(component: string, host: string, port: number, req: IncomingMessage, res: ServerResponse): void {
    const time = new Date().toISOString();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.record({
        time,
        host,
        port,
        component,
        method: req.method ?? '',
        path: req.url ?? '',
        identity: identities.get(req) ?? 'system:anonymous',
        status: res.headersSent ? res.statusCode : 0,
        ...(req.headers.accept && req.headers.accept !== '*/*' && { accept: req.headers.accept }),
      });
    };
    res.once('finish', finish);
    res.once('close', finish);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
