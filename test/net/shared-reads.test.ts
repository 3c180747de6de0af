import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedReads } from '../../src/net/shared-reads.js';

// The bookkeeping of shared reads: the byte budget and what a failure leaves. (The network test shows the
// same against a real server.)

const answer = (bytes: number) => ({ body: Buffer.alloc(bytes) });

describe('shared reads budget', () => {
  it('keeps answers up to the budget, evicting the least recently used first', async () => {
    const reads = new SharedReads<{ body: Buffer }>(100);
    const sent: string[] = [];
    const get = (key: string, bytes: number) =>
      reads.get(key, async () => {
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
    const reads = new SharedReads<{ body: Buffer }>(100);
    let sent = 0;
    for (let i = 0; i < 2; i++) {
      await reads.get('big', async () => {
        sent++;
        return answer(101);
      });
    }
    assert.equal(sent, 2);
    assert.equal(reads.size, 0);
  });

  it('forgets a failed answer: the next asker sends again', async () => {
    const reads = new SharedReads<{ body: Buffer }>(100);
    await assert.rejects(
      reads.get('k', async () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    const res = await reads.get('k', async () => answer(1));
    assert.equal(res.body.length, 1);
  });
});
