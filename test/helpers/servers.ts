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
export async function startTcpServer(host: string, onSocket: (s: net.Socket) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    url: `http://${host}:${port}`,
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
