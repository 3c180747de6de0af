import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { etcdHunters } from '../../../src/hunters/etcd/index.js';
import { PORTS } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { type Hunt, huntDiscovered } from '../lab-hunt.js';

// Block 127.144.7.0/24: the namespaces an open etcd's key names give, read a page at a time from servers
// the test starts: one that pages honestly through 1,200 namespaces, one that gives back its first page
// whatever it is asked, one whose namespace range answers garbage.

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
const HEADER = { cluster_id: '1', member_id: '2', revision: '9', raft_term: '2' };
const NAMESPACES = Array.from({ length: 1200 }, (_, i) => `team-${String(i).padStart(4, '0')}`);
const KEYS = NAMESPACES.map((n) => `/registry/namespaces/${n}`).sort();

type Namespaces = (from: string, limit: number, res: ServerResponse) => void;

/** An etcd 3.5 that answers every range with a few keys, and the namespace range as `namespaces` says. */
function etcd(namespaces: Namespaces) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"etcdserver":"3.5.17","etcdcluster":"3.5.0"}');
      return;
    }
    if (req.method !== 'POST' || path !== '/v3/kv/range') {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const ask = JSON.parse(body) as { key: string; limit?: number };
      const from = unb64(ask.key);
      if (from.startsWith('/registry/namespaces/')) return namespaces(from, ask.limit ?? 0, res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ header: HEADER, kvs: [{ key: b64('/registry/secrets/dev/db') }], count: '1' }));
    });
  };
}

const page = (keys: string[], more: boolean) =>
  JSON.stringify({ header: HEADER, kvs: keys.map((k) => ({ key: b64(k) })), more, count: String(keys.length) });

const honest: Namespaces = (from, limit, res) => {
  const rest = KEYS.filter((k) => k >= from);
  res.writeHead(200, { 'content-type': 'application/json' }).end(page(rest.slice(0, limit), rest.length > limit));
};
const stuck: Namespaces = (_from, limit, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(page(KEYS.slice(0, limit), true));
};
const garbage: Namespaces = (_from, _limit, res) => {
  res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
};

describe('namespaces from an open etcd’s key names', () => {
  const servers: TestServer[] = [];
  let hunt: Hunt;

  before(async () => {
    servers.push(
      await startHttpServer('127.144.7.1', etcd(honest), PORTS.etcd),
      await startHttpServer('127.144.7.2', etcd(stuck), PORTS.etcd),
      await startHttpServer('127.144.7.3', etcd(garbage), PORTS.etcd),
    );
    hunt = await huntDiscovered(servers, { hunters: etcdHunters });
  });

  after(async () => {
    for (const s of servers) await s.close();
  });

  const seenFrom = (host: string) =>
    hunt.result.events
      .filter((e): e is KfEvent<'NamespaceSeen'> => e.type === 'NamespaceSeen' && e.host === host)
      .map((e) => e.namespace);
  const gapsOf = (host: string) =>
    hunt.gaps.filter((g) => g.host === host && g.subject === 'etcd /registry/namespaces/');

  it('reads every namespace key to the end of the range, a page at a time', () => {
    assert.ok(hunt.of('KF-ETCD-003').some((f) => f.host === '127.144.7.1'));
    // dev from the Secrets' key names read anyway, and every namespace key.
    assert.deepEqual(seenFrom('127.144.7.1').sort(), ['dev', ...NAMESPACES].sort());
    assert.deepEqual(gapsOf('127.144.7.1'), []);
  });

  it('stops at a server that gives back the same page, with a gap', () => {
    const [gap, ...more] = gapsOf('127.144.7.2');
    assert.equal(more.length, 0);
    assert.equal(gap?.reason, 'page-failed');
    assert.equal(gap.detail, 'page 2 held keys outside the range asked, after 500 keys');
  });

  it('reports a namespace range that answers garbage as a gap, saying how much it read before', () => {
    const [gap] = gapsOf('127.144.7.3');
    assert.equal(gap?.reason, 'page-failed');
    assert.equal(gap.detail, 'answered 200 after 0 keys');
  });
});
