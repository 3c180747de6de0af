import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import { defineHunter } from '../../../src/core/hunter.js';
import { parseTarget } from '../../../src/discovery/targets.js';
import { etcdActiveKeys } from '../../../src/hunters/etcd/active-keys.js';
import { runHunt } from '../../../src/run/hunt.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';

// This file's loopback block: 127.77.0.0/16. The happy path runs against the real etcd in
// test/active/lab.test.ts; here an etcd gateway stub where the run's key already exists: nothing is written.
const HOST = '127.77.0.2';
let server: TestServer;
const seen: string[] = [];

before(async () => {
  server = await startHttpServer(HOST, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        header: { revision: '7' },
        kvs: [{ key: 'eA==', value: Buffer.from('someone else').toString('base64') }],
      }),
    );
  });
});
after(() => server.close());

describe('etcd-active-keys', () => {
  // The passive hunter's finding names the gateway that answered; older etcd serves /v3beta or /v3alpha.
  for (const gateway of ['/v3', '/v3beta']) {
    it(`writes nothing over a key that exists (gateway ${gateway})`, async () => {
      seen.length = 0;
      const finding = defineHunter({
        id: 'test-etcd-finding',
        title: 'etcd readable',
        mode: 'passive',
        on: 'PortOpen',
        reports: ['KF-ETCD-003'],
        async hunt(e, ctx) {
          ctx.report({ kb: 'KF-ETCD-003', host: e.host, port: e.port, path: `${gateway}/kv/range`, evidence: 'stub' });
        },
      });
      const r = await runHunt(
        defaultConfig({
          targets: [parseTarget(`${HOST}:${server.port}`)],
          active: true,
          yes: true,
          journalPath: join(mkdtempSync(join(tmpdir(), 'kf-etcd-')), 'j.jsonl'),
        }),
        [finding, etcdActiveKeys],
      );
      assert.deepEqual(seen, [`POST ${gateway}/kv/range`]);
      assert.deepEqual(r.changes, []);
      assert.deepEqual(
        r.events.filter((e) => e.type === 'Finding' && e.proof),
        [],
      );
    });
  }
});
