import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/core/config.js';
import { runHunt } from '../../src/core/hunt.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
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
});
