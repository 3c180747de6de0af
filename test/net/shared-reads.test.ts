import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedReads } from '../../src/net/shared-reads.js';

// The bookkeeping of shared reads: the byte budget and what a failure leaves. (The network test shows the
// same against a real server.)

type Answer = { body: Buffer; truncated: boolean };
const answer = (bytes: number, truncated = false): Answer => ({ body: Buffer.alloc(bytes), truncated });
const cut = (a: Answer, cap: number): Answer => ({ body: a.body.subarray(0, cap), truncated: true });
const BIG = 1000;

describe('shared reads budget', () => {
  it('keeps answers up to the budget, evicting the least recently used first', async () => {
    const reads = new SharedReads<Answer>(100, cut);
    const sent: string[] = [];
    const get = (key: string, bytes: number) =>
      reads.get(key, BIG, async () => {
        sent.push(key);
        return answer(bytes);
      });
    await get('a', 40);
    await get('b', 40);
    await get('a', 40); // a is now the most recent
    await get('c', 40); // over budget: b goes
    assert.equal(reads.size, 80);
    await get('a', 40);
    await get('c', 40);
    await get('b', 40);
    assert.deepEqual(sent, ['a', 'b', 'c', 'b']);
  });

  it('never keeps an answer larger than the whole budget', async () => {
    const reads = new SharedReads<Answer>(100, cut);
    let sent = 0;
    for (let i = 0; i < 2; i++) {
      await reads.get('big', BIG, async () => {
        sent++;
        return answer(101);
      });
    }
    assert.equal(sent, 2);
    assert.equal(reads.size, 0);
  });

  it('forgets a failed answer: the next asker sends again', async () => {
    const reads = new SharedReads<Answer>(100, cut);
    await assert.rejects(
      reads.get('k', BIG, async () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    const res = await reads.get('k', BIG, async () => answer(1));
    assert.equal(res.body.length, 1);
  });

  it('forgets what was not pinned when asked to (a change was sent)', async () => {
    const reads = new SharedReads<Answer>(100, cut);
    const sent: string[] = [];
    const get = (key: string, pinned?: boolean) =>
      reads.get(
        key,
        BIG,
        async () => {
          sent.push(key);
          return answer(10);
        },
        pinned,
      );
    await get('plain');
    await get('pinned', true);
    await get('plain');
    reads.forgetUnpinned();
    assert.equal(reads.size, 10);
    await get('plain');
    await get('pinned');
    assert.deepEqual(sent, ['plain', 'pinned', 'plain']);
  });
});

describe('shared reads and size caps', () => {
  it('serves a smaller cap from a bigger read, cut; a cut answer only an equal or smaller cap', async () => {
    const reads = new SharedReads<Answer>(100_000, cut);
    const sent: number[] = [];
    // A 10,000-byte answer, read with the cap asked.
    const get = (cap: number) =>
      reads.get('k', cap, async () => {
        sent.push(cap);
        return cap < 10_000 ? answer(cap, true) : answer(10_000);
      });
    const shapes: string[] = [];
    for (const cap of [1000, 500, 1000, 2000, 1500, 50_000, 3000, 20_000]) {
      const a = await get(cap);
      shapes.push(`${a.body.length}${a.truncated ? ' cut' : ''}`);
    }
    assert.deepEqual(sent, [1000, 2000, 50_000]);
    assert.deepEqual(shapes, ['1000 cut', '500 cut', '1000 cut', '2000 cut', '1500 cut', '10000', '3000 cut', '10000']);
  });

  it('keeps the bigger read when a smaller one has to be sent while it is kept', async () => {
    const reads = new SharedReads<Answer>(100_000, cut);
    let sent = 0;
    const send = (bytes: number, truncated: boolean) => async () => {
      sent++;
      return answer(bytes, truncated);
    };
    await reads.get('k', 5000, send(5000, true));
    await reads.get('k', 2000, send(2000, true)); // served, cut
    assert.equal(sent, 1);
    assert.equal(reads.size, 5000);
  });
});
