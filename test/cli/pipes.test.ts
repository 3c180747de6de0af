import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CliRun } from '../helpers/cli.js';

// This file's loopback block: 127.101.0.0/16. `kubeferret … | head -1`: the reader goes away, kubeferret
// finishes quietly with its own exit code, no EPIPE stack trace.

/**
 * Runs kubeferret with its standard output a pipe that is closed after the first line arrives (or at
 * once, before anything is written, with `lines` 0), as `| head -1` and `| true` do.
 */
function closedAfter(lines: number, args: string[]): Promise<CliRun & { seen: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['bin/kubeferret.js', ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    let stderr = '';
    if (lines === 0) child.stdout.destroy();
    else {
      child.stdout.on('data', (d) => {
        seen += d;
        if (seen.split('\n').length > lines) child.stdout.destroy();
      });
    }
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout: '', stderr, seen });
    });
  });
}

function assertQuiet(r: CliRun): void {
  assert.equal(r.stderr, '', 'nothing on standard error: no EPIPE, no stack trace');
}

describe('a closed standard output', () => {
  it('ends `list` quietly after the first line', async () => {
    const r = await closedAfter(1, ['list', '--kb', '--json']);
    assertQuiet(r);
    assert.equal(r.code, 0);
    assert.match(r.seen, /^\[/);
  });

  it('ends `demo` quietly when the reader is gone before the first write; the lab still stops', async () => {
    const r = await closedAfter(0, ['demo', '--base', '127.101.0.2', '--etcd', 'simulated']);
    assertQuiet(r);
    assert.equal(r.code, 0);
    // The lab stopped: its addresses no longer answer, so a second demo on them starts.
    const again = await closedAfter(0, ['demo', '--base', '127.101.0.2', '--etcd', 'simulated']);
    assert.equal(again.code, 0, again.stderr);
  });

  it('still writes the files asked for, and `report` still exits with its findings status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-pipes-'));
    try {
      const saved = join(dir, 'demo.json');
      const args = ['--base', '127.101.1.2', '--etcd', 'simulated', '--format', 'table', '--format', 'json'];
      const r = await closedAfter(0, ['demo', ...args, '--output', '-', '--output', saved]);
      assertQuiet(r);
      assert.equal(r.code, 0);
      assert.ok(JSON.parse(readFileSync(saved, 'utf8')).findings.length > 0, 'the report file is whole');
      const report = await closedAfter(1, ['report', saved, '--fail-on', 'high']);
      assertQuiet(report);
      assert.equal(report.code, 1, 'findings at or above --fail-on high');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a standard output that cannot be written (a full disk) is one line and exit 3, not a stack trace', async (t) => {
    if (!existsSync('/dev/full')) return t.skip('no /dev/full on this system');
    const full = openSync('/dev/full', 'w');
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
        const child = spawn(process.execPath, ['bin/kubeferret.js', 'list', '--kb', '--json'], {
          stdio: ['ignore', full, 'pipe'],
        });
        let stderr = '';
        child.stderr?.on('data', (d) => {
          stderr += d;
        });
        child.on('error', fail);
        child.on('close', (code) => done({ code, stderr }));
      });
      assert.equal(r.stderr, 'kubeferret: cannot write to standard output: ENOSPC\n');
      assert.equal(r.code, 3);
    } finally {
      closeSync(full);
    }
  });
});
