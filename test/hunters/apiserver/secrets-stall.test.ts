import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { STEP, type StallWorker, startStallRelay } from '../../helpers/stall.js';
import { call } from '../../lab/call.js';
import { type Hunt, huntDiscovered } from '../lab-hunt.js';

// Block 127.152.2.0/24. bench/scale.ts lost one page of the Secrets Table every time, as a coverage gap:
// the page after the 50,000 added Secrets, read by anonymous while the insecure port's identity, reading
// the same pages one step ahead, computed its attack paths (seconds of work in one go). The page had come
// in time and sat in the socket; the request's deadline, a timer, ran before the socket was read. Here
// the same at a small size: the lab's insecure port behind a relay in a worker thread that holds the answer
// to the first continued Secrets page until this thread is busy, then passes it on; this thread stays
// busy until the request's deadline is long past. Every page must be read, and no gap named.

const LAB_BASE = '127.152.2.2';
const RELAY = '127.152.2.10';
const SECRETS = 1200;
const TIMEOUT_MS = 1000;

let lab: Lab;
let relay: StallWorker;

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: LAB_BASE, nodes: 1, etcd: 'off', scale: { secrets: SECRETS } });
  relay = await startStallRelay(
    RELAY,
    PORTS.apiserverInsecure,
    { host: LAB_BASE, port: PORTS.apiserverInsecure },
    /^GET \/api\/v1\/secrets\?limit=500&continue=/,
  );
});

after(async () => {
  await relay?.close();
  await lab?.stop();
});

describe('a page of Secrets answered while the hunt is busy past its deadline', () => {
  let hunt: Hunt;
  let held = false;
  before(async () => {
    const hunting = huntDiscovered([{ host: RELAY, port: PORTS.apiserverInsecure }], {
      hunters: apiserverHunters,
      config: { requestTimeoutMs: TIMEOUT_MS },
    });
    held = await Promise.race([relay.waitFor(STEP.ready).then(() => true), hunting.then(() => false)]);
    // As the graph of another identity: busy from just after the page came in until its deadline is past.
    if (held) relay.stall(performance.now() + TIMEOUT_MS + 500);
    hunt = await hunting;
  });

  it('reads every Secret, the held page too', async () => {
    assert.ok(held, 'the relay held a continued page of Secrets');
    const all = await call(`http://${LAB_BASE}:${PORTS.apiserverInsecure}/api/v1/secrets`);
    const total = (all.json.items as unknown[]).length;
    assert.ok(total > SECRETS, `the lab serves ${total} Secrets`);
    const [listed] = hunt.of('KF-API-007', 'insecure-port');
    assert.ok(listed, 'KF-API-007 for the insecure port');
    assert.match(listed.evidence, new RegExp(`listed ${total} secrets in `));
    assert.doesNotMatch(listed.evidence, /partial/);
  });

  it('names no coverage gap', () => {
    assert.deepEqual(
      hunt.gaps.map((g) => `${g.hunter} ${g.subject} ${g.reason}: ${g.detail}`),
      [],
    );
  });
});
