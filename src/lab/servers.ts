import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { UsageError } from '../core/errors.js';
import { type Fault, faultyFront, slowed } from './faults.js';
import type { RequestLog } from './requestlog.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface TlsSettings {
  cert: string;
  key: string;
  /** CAs whose client certificates are accepted. */
  ca?: string[];
  /** Ask for a client certificate (accepting its absence unless `requireClientCert`). */
  requestCert?: boolean;
  /** Fail the handshake without a valid client certificate (etcd with --client-cert-auth). */
  requireClientCert?: boolean;
}

/** An HTTP(S) server of one lab component on one address and port. */
export interface HttpListener {
  component: string;
  host: string;
  port: number;
  handler: Handler;
  tls?: TlsSettings;
  /** Also record each TCP connection (method TCP), so a connection without a request shows too. */
  recordConnections?: boolean;
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === 'EADDRINUSE') return new UsageError(`${host}:${port} is already in use`);
  if (err.code === 'EADDRNOTAVAIL') return new UsageError(`cannot listen on ${host}: address not available`);
  if (err.code === 'EACCES') return new UsageError(`cannot listen on ${host}:${port}: permission denied`);
  return err;
}

async function listen(server: net.Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Starts the lab's listeners, records every request they get, and closes them all at once. */
export class Listeners {
  private readonly closers: (() => Promise<void>)[] = [];

  /** `faultOf` says what goes wrong on a host and port (LabOptions.faults), if anything. */
  constructor(
    private readonly log: RequestLog,
    private readonly faultOf: (host: string, port: number) => Fault | undefined = () => undefined,
  ) {}

  async http(spec: HttpListener): Promise<void> {
    const { component, host, port, handler } = spec;
    const fault = this.faultOf(host, port);
    const listener: http.RequestListener = (req, res) => {
      this.log.track(component, host, port, req, res);
      Promise.resolve()
        .then(async () => {
          if (fault) await slowed(fault, res);
          return handler(req, res);
        })
        .catch((err: Error) => {
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(`internal error: ${err.message}\n`);
          } else res.destroy();
        });
    };
    const server = spec.tls
      ? https.createServer(
          {
            cert: spec.tls.cert,
            key: spec.tls.key,
            ca: spec.tls.ca,
            requestCert: spec.tls.requestCert ?? spec.tls.requireClientCert ?? false,
            rejectUnauthorized: spec.tls.requireClientCert ?? false,
            ALPNProtocols: ['http/1.1'],
          },
          listener,
        )
      : http.createServer(listener);
    if (spec.recordConnections) server.on('connection', () => this.log.connection(component, host, port));
    server.on('tlsClientError', () => undefined);
    server.on('clientError', (_err, socket) => socket.destroy());
    if (fault) {
      // The front listens; the component's server only gets the connections the fault lets through.
      const { front, close } = faultyFront(fault, server, () => this.log.connection(component, host, port));
      await listen(front, host, port);
      this.closers.push(async () => {
        close();
        server.closeAllConnections();
        await new Promise<void>((r) => front.close(() => r()));
      });
      return;
    }
    await listen(server, host, port);
    this.closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
  }

  /** A raw TCP listener; `onSocket` decides what is said. Each connection is recorded as method TCP. */
  async tcp(component: string, host: string, port: number, onSocket: (socket: net.Socket) => void): Promise<void> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      this.log.connection(component, host, port);
      onSocket(socket);
    });
    await listen(server, host, port);
    this.closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
  }

  /** Runs `close` with the others at shutdown (child processes, temp dirs). */
  onClose(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async closeAll(): Promise<void> {
    const closers = this.closers.splice(0).reverse();
    await Promise.all(closers.map((c) => c().catch(() => undefined)));
  }
}
