import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { type Hunt, huntDiscovered } from '../lab-hunt.js';

// Block 127.57.4.0/24: the vulnerable lab's insecure port behind a relay on 127.57.4.10 that answers
// every page of ConfigMaps with another continue token (a list that never ends) and Deployments with garbage.
// What could not be read to the end must be a coverage gap, and what was read still reported.

const RELAY = '127.57.4.10';
const LAB_BASE = '127.57.4.2';

let lab: Lab;
let relay: TestServer;
let configMapPages = 0;

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: LAB_BASE, nodes: 1, etcd: 'off' });
  relay = await startHttpServer(
    RELAY,
    (req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/apis/apps/v1/deployments?')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"kind":"DeploymentList","items":');
        return;
      }
      const upstream = http.request(
        {
          host: LAB_BASE,
          port: PORTS.apiserverInsecure,
          // The lab would refuse a token it never gave: each page of ConfigMaps is its first page again.
          path: url.replace(/&continue=[^&]*/, ''),
          method: req.method,
          headers: req.headers,
        },
        (up) => {
          if (!url.startsWith('/api/v1/configmaps?limit=250')) {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
            return;
          }
          const chunks: Buffer[] = [];
          up.on('data', (c) => chunks.push(c));
          up.on('end', () => {
            configMapPages++;
            const list = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            list.metadata = { ...list.metadata, continue: `page-${configMapPages}` };
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(list));
          });
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    },
    PORTS.apiserverInsecure,
  );
});

after(async () => {
  await relay?.close();
  await lab?.stop();
});

describe('workloads read through a list that never ends and a garbage page', () => {
  let hunt: Hunt;
  before(async () => {
    // No page count stops a list: the hunter's deadline does, kept short here.
    hunt = await huntDiscovered([{ host: RELAY, port: PORTS.apiserverInsecure }], {
      hunters: apiserverHunters,
      config: { hunterTimeoutMs: 4000 },
    });
  });

  it('reads until its deadline and says so; reports what it read; the garbage is a gap too', () => {
    const gaps = hunt.result.events.filter(
      (e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap' && e.hunter === 'apiserver-workloads',
    );
    const configMaps = gaps.find((g) => g.subject === 'list configmaps (insecure-port)');
    assert.ok(configMaps, `a gap for the ConfigMaps: ${JSON.stringify(gaps)}`);
    assert.equal(configMaps.reason, 'deadline');
    assert.match(configMaps.detail, / after \d+ configmaps in all namespaces$/);
    assert.ok(configMapPages > 2, `pages were read until the deadline (${configMapPages})`);
    const deployments = gaps.find((g) => g.subject === 'list deployments (insecure-port)');
    assert.ok(deployments);
    assert.equal(deployments.reason, 'error');
    assert.match(deployments.detail, /0 objects read in all namespaces$/);
    // The pods, read whole before, are reported once each.
    const privileged = hunt.findings.filter((f) => f.kb === 'KF-WORKLOAD-001').map((f) => f.object);
    assert.ok(privileged.includes('default/Pod/debug-tools'));
    assert.equal(new Set(privileged).size, privileged.length);
    // Every apiserver hunter reading the endless list ran out of time: said as timeouts, nothing else.
    assert.deepEqual(
      hunt.result.problems.filter((p) => p.kind !== 'timeout'),
      [],
    );
  });
});
