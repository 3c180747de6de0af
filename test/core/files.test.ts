import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeDirs, probeWritable, writeFileAtomic, writeProblem } from '../../src/core/files.js';

const dir = mkdtempSync(join(tmpdir(), 'kf-files-'));

/** Runs `code` (an ES module body using `files`) in a child, so a call that spins is killed, not waited on. */
function inChild(code: string) {
  const module = JSON.stringify(join(process.cwd(), 'src', 'core', 'files.ts'));
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', `const files = await import(${module});\n${code}`],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
}

describe('makeDirs', () => {
  it('makes every missing parent, with the mode asked, and accepts what exists', () => {
    const deep = join(dir, 'a', 'b', 'c');
    makeDirs(deep, 0o700);
    assert.ok(statSync(deep).isDirectory());
    assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o700);
    makeDirs(deep);
  });

  it('answers at once under /proc, where recursive mkdir loops forever', () => {
    const started = Date.now();
    const r = inChild(
      "try { files.makeDirs('/proc/nope/deeper'); console.log('made'); } catch (err) { console.log(err.code); }",
    );
    assert.equal(r.signal, null, 'it was not killed: it answered');
    assert.equal(r.stdout.trim(), 'ENOENT', r.stderr);
    assert.ok(Date.now() - started < 10_000);
  });

  it('a file in the way is ENOTDIR, said as such', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    assert.throws(
      () => makeDirs(join(file, 'sub')),
      (err: NodeJS.ErrnoException) =>
        err.code === 'ENOTDIR' && writeProblem(err) === 'a file is in the way of its directory',
    );
  });
});

describe('writeFileAtomic and probeWritable', () => {
  it('replaces a file whole, keeps its mode, and leaves no temporary file', () => {
    const path = join(dir, 'report.json');
    writeFileAtomic(path, 'first');
    assert.equal(statSync(path).mode & 0o777, 0o644);
    spawnSync('chmod', ['600', path]);
    writeFileAtomic(path, 'second');
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.startsWith('.kubeferret-probe')),
      [],
    );
  });

  it('a folder that is missing fails with its reason and creates nothing', () => {
    const path = join(dir, 'missing', 'r.json');
    assert.throws(
      () => writeFileAtomic(path, 'x'),
      (err: NodeJS.ErrnoException) => writeProblem(err) === 'no such folder',
    );
    assert.equal(existsSync(join(dir, 'missing')), false);
    assert.throws(
      () => probeWritable(join(dir, 'missing')),
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
    );
    probeWritable(dir);
  });
});
