import http from 'node:http';
import https from 'node:https';

export interface EtcdTls {
  ca: string;
  cert: string;
  key: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** A small client of etcd's v3 JSON gateway, for seeding, health checks and snapshots. */
export class EtcdGateway {
  constructor(
    readonly url: string,
    private readonly tls?: EtcdTls,
  ) {}

  async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = 5000,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const url = new URL(path, this.url);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
          ...(this.tls ? { ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key } : {}),
          timeout: timeoutMs,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve({
                status: res.statusCode ?? 0,
                json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
              });
            } catch (err) {
              reject(err);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${url} timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  async healthy(): Promise<boolean> {
    try {
      const r = await this.call('GET', '/health', undefined, 1000);
      return r.status === 200 && r.json.health === 'true';
    } catch {
      return false;
    }
  }

  async put(key: string, value: string): Promise<void> {
    const r = await this.call('POST', '/v3/kv/put', { key: b64(key), value: b64(value) });
    if (r.status !== 200) throw new Error(`etcd put ${key}: ${JSON.stringify(r.json)}`);
  }

  /** Every key and value, sorted by key. */
  async all(): Promise<[string, string][]> {
    const r = await this.call('POST', '/v3/kv/range', { key: b64('\0'), range_end: b64('\0') });
    if (r.status !== 200) throw new Error(`etcd range: ${JSON.stringify(r.json)}`);
    const kvs = (r.json.kvs as { key: string; value?: string }[] | undefined) ?? [];
    return kvs.map((kv) => [unb64(kv.key), unb64(kv.value ?? '')]);
  }
}
