import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { sendText } from './http.js';

export interface ForwardTarget {
  host: string;
  port: number;
  /** TLS to the target, with the client certificate the forwarding component authenticates with. */
  tls?: { ca?: string; cert?: string; key?: string };
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
]);

/**
 * Streams a request to another lab component and its answer back, as kubectl proxy and the API server's
 * proxy subresources do: the caller's own credentials are dropped, the forwarder's are presented.
 */
export function forward(target: ForwardTarget, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers.host = `${target.host}:${target.port}`;
  const options = { host: target.host, port: target.port, method: req.method, path, headers, agent: false as const };
  return new Promise((resolve) => {
    const upstream = target.tls
      ? https.request({
          ...options,
          ca: target.tls.ca,
          cert: target.tls.cert,
          key: target.tls.key,
          rejectUnauthorized: !!target.tls.ca,
        })
      : http.request(options);
    upstream.on('response', (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (v !== undefined && k !== 'connection' && k !== 'keep-alive') out[k] = v;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', () => resolve());
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) sendText(res, 502, `error trying to reach ${target.host}:${target.port}: ${err.message}\n`);
      else res.destroy();
      resolve();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}
