import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Listeners } from './servers.js';
import { HOSTILE_PORTS, OUTSIDE_PORT } from './topology.js';

export const HUGE_BODY_BYTES = 50 * 1024 * 1024;

/** 4 KiB that are neither HTTP nor TLS, the same every time. */
function garbage(): Buffer {
  const out: Buffer[] = [];
  let block = createHash('sha256').update('kubeferret lab garbage').digest();
  for (let i = 0; i < 128; i++) {
    out.push(block);
    block = createHash('sha256').update(block).digest();
  }
  const buf = Buffer.concat(out);
  buf[0] = 0x00;
  return buf;
}

// A TLS fatal alert record: handshake_failure (40), the answer of a server that shares no cipher suite.
const HANDSHAKE_FAILURE = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);

function streamHuge(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 'A');
  let left = HUGE_BODY_BYTES;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE_BODY_BYTES) });
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}

/**
 * The hostile host: each port misbehaves in one way a scanner must survive. `outside` is the redirect's
 * destination, listened on only to record whether anything ever arrives.
 */
export async function startHostile(listeners: Listeners, host: string, outside: string): Promise<void> {
  const junk = garbage();
  await Promise.all([
    listeners.tcp('hostile', host, HOSTILE_PORTS.silent, () => undefined),
    listeners.tcp('hostile', host, HOSTILE_PORTS.garbage, (socket) => {
      socket.once('data', () => socket.end(junk));
    }),
    listeners.tcp('hostile', host, HOSTILE_PORTS.badTls, (socket) => {
      socket.once('data', () => socket.end(HANDSHAKE_FAILURE));
    }),
    listeners.http({ component: 'hostile', host, port: HOSTILE_PORTS.huge, handler: (_req, res) => streamHuge(res) }),
    listeners.http({
      component: 'hostile',
      host,
      port: HOSTILE_PORTS.redirect,
      handler: (req, res) => {
        res.writeHead(302, { location: `http://${outside}:${OUTSIDE_PORT}${req.url ?? '/'}`, 'content-length': '0' });
        res.end();
      },
    }),
    listeners.http({
      component: 'outside',
      host: outside,
      port: OUTSIDE_PORT,
      recordConnections: true,
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"outside":"you should never see this"}\n');
      },
    }),
  ]);
}
