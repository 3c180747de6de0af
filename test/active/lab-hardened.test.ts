import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/core/config.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../src/discovery/vantage/identity.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReport } from '../../src/report/model.js';
import { runHunt } from '../../src/run/hunt.js';
import { mutating } from './lab-requests.js';
import { labTriggers } from './triggers.js';

// This file's loopback block: 127.72.0.0/16. The hardened lab: the active hunters are pointed at every
// door (the stand-in triggers claim them all open, though the passive hunters find them shut) and find each
// one shut.
const BASE = '127.72.0.2';

let lab: Lab;
before(async () => {
  lab = await startLab({ profile: 'hardened', base: BASE, nodes: 2 });
});
after(() => lab.stop());

describe('active hunting of the hardened lab', () => {
  it('proves nothing and changes nothing', async () => {
    const before = await lab.snapshot();
    const from = lab.requests.length;
    const journalPath = join(mkdtempSync(join(tmpdir(), 'kf-hardened-')), 'journal.jsonl');
    const result = await runHunt(
      defaultConfig({
        targets: [parseTarget(`${BASE}-127.72.0.4`)],
        ports: [2379, 6443, 8001, 8080, 10250],
        // Generous: on a loaded 2-core machine a TLS handshake with the lab can take seconds.
        connectTimeoutMs: 10_000,
        requestTimeoutMs: 20_000,
        active: true,
        yes: true,
        journalPath,
      }),
      [...HUNTERS, ...labTriggers({ everyDoor: true })],
    );
    assert.ok(result.engine.huntersRun.includes('apiserver-active-objects'), 'the API hunter tried');
    assert.ok(result.engine.huntersRun.includes('kubelet-active-varlog-escape'), 'the kubelet hunters tried');
    assert.deepEqual(
      result.events.filter((e) => e.type === 'Finding' && e.proof),
      [],
    );
    assert.deepEqual(result.changes, []);
    assert.deepEqual(
      result.problems.filter((p) => p.hunter.includes('-active-')),
      [],
    );
    const writes = mutating(lab.requests.slice(from), HUNTERS);
    assert.ok(writes.length >= 4, 'creates were tried');
    assert.ok(
      writes.every((r) => r.status === 401 || r.status === 403),
      JSON.stringify(writes.filter((r) => r.status !== 401 && r.status !== 403)),
    );
    assert.ok(
      lab.requests.slice(from).some((r) => r.component === 'kubelet' && r.path === '/pods' && r.status === 401),
    );
    assert.equal(existsSync(journalPath), true, 'the refused attempts were journalled first');
    assert.deepEqual(await lab.snapshot(), before);
  });

  it('names the defences that held, the refused privileged pod among them, in their own section', async () => {
    const before = await lab.snapshot();
    const from = lab.requests.length;
    // The admin may create pods: the API server's --allow-privileged=false is what stops a privileged one.
    const admin = new Identity('token-file:admin', 'token', undefined, {
      token: lab.credentials.admin.token!,
      trust: { tls: 'unverified' },
    });
    const vantage: VantageSettings = { identities: [admin], discoverNodes: false };
    const result = await runHunt(
      defaultConfig({
        targets: [parseTarget(`${BASE}-127.72.0.4`)],
        ports: [2379, 6443, 8080, 10250],
        connectTimeoutMs: 10_000,
        requestTimeoutMs: 20_000,
        active: true,
        yes: true,
        journalPath: join(mkdtempSync(join(tmpdir(), 'kf-hardened-')), 'journal.jsonl'),
        extra: { [VANTAGE_KEY]: vantage },
      }),
      HUNTERS,
    );
    const report = buildReport(result);
    const held = report.findings.filter((f) => f.defence);
    const kbs = new Set(held.map((f) => f.kb));
    for (const kb of ['KF-API-201', 'KF-API-202', 'KF-API-203', 'KF-KUBELET-201']) assert.ok(kbs.has(kb), kb);
    if (lab.hosts[0].services.some((s) => s.port === 2379)) assert.ok(kbs.has('KF-ETCD-201'));
    assert.ok(held.every((f) => f.severity === 'info'));
    const privileged = held.find((f) => f.kb === 'KF-API-201')!;
    assert.equal(privileged.identity, 'token-file:admin');
    assert.match(
      privileged.evidence,
      /→ HTTP 422: Pod "kubeferret-\S+" is invalid: spec\.containers\[0\]\.securityContext\.privileged: Forbidden: disallowed by cluster policy/,
    );
    // The lab really refused it: a 422 to the privileged pod, then the unprivileged one was created.
    const podPosts = lab.requests
      .slice(from)
      .filter((r) => r.method === 'POST' && /\/pods(\?|$)/.test(r.path))
      .map((r) => r.status);
    assert.deepEqual(podPosts, [422, 201]);
    assert.ok(report.findings.some((f) => f.kb === 'KF-API-109' && f.proof));

    const md = renderMarkdown(report);
    const section = md.slice(md.indexOf('### Defences that held'));
    assert.ok(md.includes('### Defences that held'), md);
    assert.match(section, /Privileged pods refused by admission/);
    assert.match(section, /Anonymous requests refused on the secure port/);
    // Apart from the weaknesses: the findings table does not list them.
    const table = md.slice(0, md.indexOf('### Defences that held'));
    assert.ok(!table.includes('| KF-API-201 |'));
    assert.deepEqual(await lab.snapshot(), before);
  });
});
