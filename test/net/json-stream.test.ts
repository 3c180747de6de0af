import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonLimitError, JsonStream, parseBounded } from '../../src/net/json-stream.js';

/** Feeds `text` in chunks of `size` bytes; returns what was handed over. */
function read(text: string, paths: string[], size = 7, maxDepth?: number, maxValueBytes?: number) {
  const seen: [unknown, (string | number)[]][] = [];
  const json = new JsonStream({
    paths,
    maxDepth,
    maxValueBytes,
    onValue: (value, keys) => seen.push([value, [...keys]]),
  });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) json.write(bytes.subarray(i, i + size));
  return { seen, json };
}

describe('JsonStream', () => {
  it('hands over the values at the paths asked for, item by item, whatever the chunking', () => {
    const doc = JSON.stringify({
      kind: 'PodList',
      metadata: { continue: 'x' },
      items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b "quoted" }{][' } }, 3],
    });
    for (const size of [1, 2, 7, 1024]) {
      const { seen, json } = read(doc, ['$.kind', '$.items.*'], size);
      assert.deepEqual(seen, [
        ['PodList', ['kind']],
        [{ metadata: { name: 'a' } }, ['items', 0]],
        [{ metadata: { name: 'b "quoted" }{][' } }, ['items', 1]],
        [3, ['items', 2]],
      ]);
      assert.equal(json.complete, true);
      json.end();
    }
  });

  it('says a document that ended early did not end', () => {
    const { seen, json } = read('{"kind":"PodList","items":[{"a":1},{"a":', ['$.items.*']);
    assert.deepEqual(seen, [[{ a: 1 }, ['items', 0]]]);
    assert.equal(json.complete, false);
    assert.throws(() => json.end(), /^JsonLimitError: the body ended before the JSON document did$/);
  });

  it('refuses a deeply nested document at the level too many, having read only that far', () => {
    const depth = 100_000;
    const hostile = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const json = new JsonStream({ paths: ['$.items.*'], onValue: () => assert.fail('nothing to hand over') });
    assert.throws(
      () => json.write(Buffer.from(hostile)),
      (err: unknown) =>
        err instanceof JsonLimitError && err.message === 'JSON nested deeper than 64 levels, at byte 64',
    );
    // Brackets inside strings are text, not nesting.
    const { seen } = read(JSON.stringify({ items: ['['.repeat(500)] }), ['$.items.*'], 64, 4);
    assert.deepEqual(seen, [['['.repeat(500), ['items', 0]]]);
    assert.throws(() => read('{"a":{"b":{"c":{"d":{}}}}}', ['$.a'], 64, 4), /nested deeper than 4 levels, at byte 20/);
  });

  it('refuses what is not JSON, and anything after the document, in one line', () => {
    for (const [text, message] of [
      ['AAAA', /^not JSON: /],
      ['<html>', /^not JSON: /],
      ['{"items":[]} {"more":1}', /^data after the JSON document$/],
    ] as const) {
      assert.throws(
        () => read(text, ['$.items.*'], 64),
        (err: unknown) => err instanceof JsonLimitError && message.test(err.message) && !err.message.includes('\n'),
      );
    }
  });

  it('parses a body held whole unless it nests too deep or is not JSON', () => {
    assert.deepEqual(parseBounded('{"kind":"PodList","items":[{"a":"[[[["}]}'), {
      kind: 'PodList',
      items: [{ a: '[[[[' }],
    });
    assert.equal(parseBounded(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), undefined);
    assert.deepEqual(parseBounded('[[[1]]]', 3), [[[1]]]);
    assert.equal(parseBounded('[[[[1]]]]', 3), undefined);
    assert.equal(parseBounded('<html>'), undefined);
  });

  it('bounds each item and what lies outside the items, however long the body', () => {
    const limit = 1024;
    const item = JSON.stringify({ name: 'x'.repeat(100) });
    // Many small items: far more than the limit in all, each under it.
    const { seen } = read(`{"items":[${Array(100).fill(item).join(',')}]}`, ['$.items.*'], 64, undefined, limit);
    assert.equal(seen.length, 100);
    assert.throws(
      () => read(`{"items":[${item},{"name":"${'y'.repeat(2 * limit)}"}]}`, ['$.items.*'], 64, undefined, limit),
      (err: unknown) =>
        err instanceof JsonLimitError && /^a list item larger than 1024 bytes, at byte \d+$/.test(err.message),
    );
    assert.throws(
      () => read(`{"junk":"${'z'.repeat(2 * limit)}","items":[]}`, ['$.items.*'], 64, undefined, limit),
      /more than 1024 bytes outside the list items/,
    );
    // Whitespace and commas between items are not content.
    const spaced = `{"items":[${Array(100).fill('{}').join(' ,\n   ')}]}`;
    assert.equal(read(spaced, ['$.items.*'], 64, undefined, 64).seen.length, 100);
  });
});
