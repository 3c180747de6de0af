import { existsSync, readFileSync } from 'node:fs';
import type { ChangeIdentity, ChangeSpec } from '../../src/core/changes.js';
import { startHttpServer, type TestServer } from '../helpers/servers.js';

/** The change that creates `{name}` on an object server at `base`, undone by deleting it. */
export function thingChange(base: string, name: string, identity: ChangeIdentity = { name: 'anonymous' }): ChangeSpec {
  return {
    action: `create thing ${name}`,
    target: `${base}/things`,
    identity,
    apply: { method: 'POST', url: `${base}/things`, body: JSON.stringify({ name }) },
    undo: { method: 'DELETE', url: `${base}/things/${name}`, description: `delete thing ${name}` },
  };
}

/** A request the object server received, with what the journal held when it arrived. */
export interface Received {
  method: string;
  url: string;
  authorization?: string;
  body: string;
  /** The journal's text at the moment the request arrived ('' when there was none). */
  journalAtArrival: string;
}

/**
 * A tiny REST store for framework tests: POST /things creates `{name}`, PATCH and DELETE /things/<name>
 * change and remove it (404 when absent), GET /things lists. Statuses can be forced per method, and
 * creates can be made to hang, to exercise refusals, failed undos and lost answers.
 */
export interface ObjectServer extends TestServer {
  objects: Map<string, Record<string, unknown>>;
  received: Received[];
  force: Partial<Record<'POST' | 'PATCH' | 'DELETE', number>>;
  hang: Partial<Record<'POST' | 'DELETE', boolean>>;
  /** Answers to this method wait this long, ms. */
  delay: Partial<Record<'POST' | 'DELETE', number>>;
  /** When set, DELETE needs this Authorization header (403 otherwise): an identity that may undo. */
  deleteNeeds?: string;
  /** The journal file to snapshot on each request. */
  journal?: string;
  mutating(): Received[];
}

export async function startObjectServer(host: string): Promise<ObjectServer> {
  const objects = new Map<string, Record<string, unknown>>();
  const received: Received[] = [];
  const force: ObjectServer['force'] = {};
  const hang: ObjectServer['hang'] = {};
  const delay: ObjectServer['delay'] = {};
  let server: ObjectServer;
  const base = await startHttpServer(host, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const journal = server.journal && existsSync(server.journal) ? readFileSync(server.journal, 'utf8') : '';
      received.push({
        method,
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body,
        journalAtArrival: journal,
      });
      if ((method === 'POST' || method === 'DELETE') && hang[method]) return;
      const send = (status: number, value: unknown) => {
        const answer = () => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        const wait = delay[method as 'POST' | 'DELETE'];
        if (wait) setTimeout(answer, wait);
        else answer();
      };
      if (method === 'DELETE' && server.deleteNeeds && req.headers.authorization !== server.deleteNeeds) {
        send(403, { kind: 'Status', message: 'forbidden' });
        return;
      }
      const forced = force[method as keyof ObjectServer['force']];
      if (forced) {
        send(forced, { kind: 'Status', message: `forced ${forced} for ${method}` });
        return;
      }
      const name = decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\/things\/?/, ''));
      if (method === 'GET') return send(200, [...objects.keys()]);
      if (method === 'POST') {
        const object = JSON.parse(body) as { name: string };
        if (objects.has(object.name)) return send(409, { kind: 'Status', message: 'already exists' });
        objects.set(object.name, object);
        return send(201, object);
      }
      if (!objects.has(name)) return send(404, { kind: 'Status', message: `${name} not found` });
      if (method === 'PATCH') {
        objects.set(name, { ...objects.get(name), ...JSON.parse(body) });
        return send(200, objects.get(name));
      }
      if (method === 'DELETE') {
        objects.delete(name);
        return send(200, { kind: 'Status', status: 'Success' });
      }
      send(405, {});
    });
  });
  server = {
    ...base,
    objects,
    received,
    force,
    hang,
    delay,
    mutating: () => received.filter((r) => r.method !== 'GET'),
  };
  return server;
}
