import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Bearer token. */
  token?: string;
  cert?: string;
  key?: string;
  /** Verify the server against this CA (otherwise no verification, like a scanner). */
  ca?: string;
  timeoutMs?: number;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  json: any;
}

/** One HTTP(S) request to a lab component, as a test client (never outside loopback: tests name lab URLs). */
export function call(url: string, options: CallOptions = {}): Promise<Answer> {
  const u = new URL(url);
  if (!u.hostname.startsWith('127.')) throw new Error(`tests only call loopback, not ${u.hostname}`);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.body !== undefined) {
    body =
      typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(u.protocol === 'https:'
          ? { ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: !!options.ca }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The JWT's payload. */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** Whether a TCP port accepts connections. */
export function portState(host: string, port: number): Promise<'open' | 'closed'> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', () => resolve('closed'));
  });
}
