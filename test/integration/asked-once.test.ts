import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { huntLab, type LabHunt } from '../hunters/lab-hunt.js';

// Block 127.81.0.0/16. Ask once (issue 12): a request whose answer is already in the run (the fingerprint's
// included) is not sent again. Counted where it lands: the lab's own request log, on a 16-node lab.

let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: '127.81.0.2', nodes: 16, etcd: 'simulated' });
  hunt = await huntLab(lab, { hunters: HUNTERS.filter((h) => !discoveryHunters.includes(h)) });
});

after(() => lab?.stop());

describe('a passive hunt of a 16-node lab', () => {
  it('sends no exact duplicate GET: same host, port, path, identity and representation (Accept)', () => {
    const seen = new Map<string, number>();
    const gets = hunt.requests.filter((r) => r.method === 'GET');
    for (const r of gets) {
      const key = `${r.component} ${r.host}:${r.port} ${r.path} as ${r.identity}${r.accept ? ` (${r.accept})` : ''}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    assert.ok(gets.length > 300, `a whole hunt of 17 hosts (${gets.length} GETs)`);
    assert.deepEqual(
      [...seen].filter(([, n]) => n > 1),
      [],
    );
  });

  it('still examined every node: both kubelet ports of each were read', () => {
    const kubeletPods = new Set(
      hunt.requests
        .filter((r) => r.component === 'kubelet' && r.path.startsWith('/pods'))
        .map((r) => `${r.host}:${r.port}`),
    );
    assert.equal(kubeletPods.size, 32);
  });
});
