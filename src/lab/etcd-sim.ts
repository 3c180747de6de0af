import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { readBody, sendText, splitUrl } from './http.js';
import { noteIdentity } from './requestlog.js';
import type { Handler } from './servers.js';
import { ETCD_VERSION } from './version.js';

interface Entry {
  value: Buffer;
  create: number;
  mod: number;
  version: number;
}

const CLUSTER_ID = '14841639068965178418';
const MEMBER_ID = '10276657743932975437';

const bytes = (b64: unknown) => Buffer.from(typeof b64 === 'string' ? b64 : '', 'base64');

/** etcd writes its JSON without a trailing newline. */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Go's encoding/json message for a body that is not JSON. */
function goJsonError(text: string): string {
  const c = text.trim()[0] ?? '';
  return c ? `invalid character '${c}' looking for beginning of value` : 'unexpected end of JSON input';
}

/** grpc-gateway's error body for an etcd error (code 3 is InvalidArgument, answered with 400). */
function grpcError(res: ServerResponse, message: string, code = 3, status = 400): void {
  sendJson(res, status, { error: message, message, code });
}

/**
 * etcd's HTTP face when the real binary is not there: /version, /health, /metrics and the v3 JSON gateway
 * (range, put, deleterange) over an in-memory key space with revisions, answered the way etcd 3.4 answers
 * (int64 fields as strings, bytes as base64, zero values left out).
 */
export class SimulatedEtcd {
  private readonly kv = new Map<string, Entry>();
  private revision = 1;

  seed(entries: [string, string][]): void {
    for (const [k, v] of entries) this.put(Buffer.from(k), Buffer.from(v));
  }

  private put(key: Buffer, value: Buffer): Entry | undefined {
    const k = key.toString('latin1');
    const prev = this.kv.get(k);
    this.revision++;
    this.kv.set(k, {
      value,
      create: prev?.create ?? this.revision,
      mod: this.revision,
      version: (prev?.version ?? 0) + 1,
    });
    return prev;
  }

  private header() {
    return { cluster_id: CLUSTER_ID, member_id: MEMBER_ID, revision: String(this.revision), raft_term: '2' };
  }

  /** Keys in [key, rangeEnd), or just `key` without a range end; `\0` as range end means "to the end". */
  private select(key: Buffer, rangeEnd: Buffer): [string, Entry][] {
    const k = key.toString('latin1');
    if (rangeEnd.length === 0) {
      const e = this.kv.get(k);
      return e ? [[k, e]] : [];
    }
    const end = rangeEnd.toString('latin1');
    return [...this.kv].filter(([x]) => x >= k && (end === '\0' || x < end)).sort(([a], [b]) => (a < b ? -1 : 1));
  }

  private kvJson(k: string, e: Entry, keysOnly = false) {
    const out: Record<string, string> = {
      key: Buffer.from(k, 'latin1').toString('base64'),
      create_revision: String(e.create),
      mod_revision: String(e.mod),
      version: String(e.version),
    };
    if (!keysOnly && e.value.length) out.value = e.value.toString('base64');
    return out;
  }

  /** Every key and value, sorted by key. */
  entries(): [string, string][] {
    return [...this.kv]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, e]) => [Buffer.from(k, 'latin1').toString('utf8'), e.value.toString('utf8')]);
  }

  /** The client port 2379 (plain or, with client certificates required, behind TLS). */
  clientHandler(): Handler {
    return async (req, res) => {
      const cert = (req.socket as TLSSocket).getPeerCertificate?.();
      noteIdentity(req, cert?.subject?.CN ? String(cert.subject.CN) : 'system:anonymous');
      const { path } = splitUrl(req);
      if (path === '/version') return sendJson(res, 200, ETCD_VERSION);
      if (path === '/health') return sendJson(res, 200, { health: 'true' });
      if (path === '/metrics') {
        return sendText(
          res,
          200,
          `# TYPE etcd_server_version gauge\netcd_server_version{server_version="${ETCD_VERSION.etcdserver}"} 1\n# TYPE etcd_server_has_leader gauge\netcd_server_has_leader 1\n`,
        );
      }
      const m = /^\/v3(?:beta)?\/(kv\/range|kv\/put|kv\/deleterange|maintenance\/status)$/.exec(path);
      if (!m) return sendText(res, 404, '404 page not found\n');
      if (req.method !== 'POST') return grpcError(res, 'Method Not Allowed', 12, 405);
      await this.gateway(req, res, m[1]);
    };
  }

  private async gateway(req: IncomingMessage, res: ServerResponse, call: string): Promise<void> {
    let body: Record<string, unknown>;
    const text = (await readBody(req)).toString('utf8');
    try {
      body = text.trim() ? JSON.parse(text) : {};
    } catch {
      return grpcError(res, goJsonError(text));
    }
    if (call === 'maintenance/status') {
      return sendJson(res, 200, {
        header: this.header(),
        version: ETCD_VERSION.etcdserver,
        dbSize: String(20480 + this.kv.size * 512),
        leader: MEMBER_ID,
        raftIndex: String(this.revision + 10),
        raftTerm: '2',
        raftAppliedIndex: String(this.revision + 10),
        dbSizeInUse: String(16384 + this.kv.size * 512),
      });
    }
    const key = bytes(body.key);
    if (key.length === 0) return grpcError(res, 'etcdserver: key is not provided');
    if (call === 'kv/put') {
      const prev = this.put(key, bytes(body.value));
      const out: Record<string, unknown> = { header: this.header() };
      if (body.prev_kv && prev) out.prev_kv = this.kvJson(key.toString('latin1'), prev);
      return sendJson(res, 200, out);
    }
    const selected = this.select(key, bytes(body.range_end));
    if (call === 'kv/deleterange') {
      if (selected.length) this.revision++;
      for (const [k] of selected) this.kv.delete(k);
      const out: Record<string, unknown> = { header: this.header() };
      if (selected.length) out.deleted = String(selected.length);
      if (body.prev_kv && selected.length) out.prev_kvs = selected.map(([k, e]) => this.kvJson(k, e));
      return sendJson(res, 200, out);
    }
    const limit = Number(body.limit ?? 0);
    const out: Record<string, unknown> = { header: this.header() };
    const shown = limit > 0 ? selected.slice(0, limit) : selected;
    if (!body.count_only && shown.length) out.kvs = shown.map(([k, e]) => this.kvJson(k, e, Boolean(body.keys_only)));
    if (limit > 0 && selected.length > limit) out.more = true;
    if (selected.length) out.count = String(selected.length);
    sendJson(res, 200, out);
  }

  /** The peer port 2380: /version and /members, as a real member answers them. */
  peerHandler(clientUrl: string, peerUrl: string): Handler {
    return (req, res) => {
      noteIdentity(req, 'system:anonymous');
      const { path } = splitUrl(req);
      if (path === '/version') return sendJson(res, 200, ETCD_VERSION);
      if (path === '/members') {
        // The id is a uint64, printed whole (JSON.stringify would round it).
        const urls = `"peerURLs":${JSON.stringify([peerUrl])},"name":"lab-control-plane","clientURLs":${JSON.stringify([clientUrl])}`;
        return sendJson(res, 200, `[{"id":${MEMBER_ID},${urls}}]`);
      }
      sendText(res, 404, '404 page not found\n');
    };
  }
}
