import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** A real HTTP server on a loopback address for tests; counts the TCP connections it accepts. */
export interface TestServer {
  host: string;
  port: number;
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}

export function startHttpServer(host: string, handler: http.RequestListener, port = 0): Promise<TestServer> {
  return listen(http.createServer(handler), 'connection', 'http', host, port);
}

/** Listens on a loopback address and counts the connections (`connection`, or `secureConnection` for TLS). */
async function listen(
  server: http.Server | https.Server,
  counted: 'connection' | 'secureConnection',
  scheme: 'http' | 'https',
  host: string,
  port: number,
): Promise<TestServer> {
  let connections = 0;
  server.on(counted, () => {
    connections++;
  });
  server.listen(port, host);
  await once(server, 'listening');
  const bound = (server.address() as net.AddressInfo).port;
  return {
    host,
    port: bound,
    url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A raw TCP server: `onSocket` decides what (if anything) is said. */
export async function startTcpServer(host: string, onSocket: (s: net.Socket) => void, port = 0): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  server.listen(port, host);
  await once(server, 'listening');
  const bound = (server.address() as net.AddressInfo).port;
  return {
    host,
    port: bound,
    url: `http://${host}:${bound}`,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A real HTTPS server on a loopback address, serving the given certificate and key (PEM). */
export function startHttpsServer(
  host: string,
  handler: http.RequestListener,
  tls: { cert: string; key: string },
  port = 0,
): Promise<TestServer> {
  return listen(https.createServer({ cert: tls.cert, key: tls.key }, handler), 'secureConnection', 'https', host, port);
}

/** How a flaky server treats its connections: the first `stall` are accepted and never spoken to. */
export interface Flakiness {
  stall?: number;
  /** Every connection after the stalled ones waits this long before the server speaks (TLS: its handshake). */
  delayMs?: number;
  /** Serve TLS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

/**
 * A real HTTP(S) server behind a TCP listener that stalls its first connections (a busy or lossy server):
 * a stalled TLS connection never finishes its handshake, a stalled plain one never answers.
 */
export async function startFlakyServer(
  host: string,
  handler: http.RequestListener,
  flakiness: Flakiness,
  port = 0,
): Promise<TestServer> {
  const inner = flakiness.tls ? https.createServer(flakiness.tls, handler) : http.createServer(handler);
  let seen = 0;
  const outer = await startTcpServer(
    host,
    (socket) => {
      seen++;
      if (seen <= (flakiness.stall ?? 0)) return;
      setTimeout(() => inner.emit('connection', socket), flakiness.delayMs ?? 0);
    },
    port,
  );
  return {
    ...outer,
    url: `${flakiness.tls ? 'https' : 'http'}://${host}:${outer.port}`,
    close: async () => {
      inner.closeAllConnections?.();
      await outer.close();
    },
  };
}
