import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runKubeferret } from '../helpers/cli.js';
import { startTcpServer, type TestServer } from '../helpers/servers.js';

// This file's loopback block: 127.94.0.0/16. Exit statuses that mean one thing each, from the real
// executable: a real signal to the real process, and a real hunt that could not examine a port.

const HOST = '127.94.0.2';
/** Accepts connections and never says a word: a hunter asking it waits until its deadline or a stop. */
let silent: TestServer;
/** Sockets on which the client sent something (a request, a TLS hello): hunting has begun. */
let asked = 0;
let dir: string;

before(async () => {
  silent = await startTcpServer(HOST, (socket) => {
    socket.once('data', () => {
      asked++;
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'kf-exit-'));
});
after(() => silent.close());

const target = () => `${HOST}:${silent.port}`;

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts a hunt that would wait a minute on the silent port, signals it once hunting has begun. */
async function interrupted(signal: NodeJS.Signals, report: string) {
  const child = spawn(
    process.execPath,
    [
      'bin/kubeferret.js',
      'hunt',
      target(),
      '--request-timeout',
      '60',
      '--hunter-timeout',
      '120',
      '--format',
      'json',
      '--output',
      report,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.resume();
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const before = asked;
  await until('the hunt to ask the silent port', () => asked > before);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await done;
  clearTimeout(timer);
  return { code, stderr };
}

describe('exit statuses', () => {
  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`a hunt stopped by ${signal} writes its report, then exits ${status} (128 + the signal's number)`, async () => {
      const report = join(dir, `${signal}.json`);
      const { code, stderr } = await interrupted(signal, report);
      assert.equal(code, status, stderr);
      assert.match(stderr, new RegExp(`kubeferret: ${signal}: stopping; reporting what was found so far`));
      const saved = JSON.parse(readFileSync(report, 'utf8'));
      assert.equal(saved.scan.interrupted, true);
      // What the stop cut short is in the report, not lost: the port being asked was not examined fully.
      assert.ok(
        saved.coverage.some(
          (g: { reason: string; port?: number; detail: string }) =>
            g.reason === 'skipped' && g.port === silent.port && /interrupted/.test(g.detail),
        ),
        JSON.stringify(saved.coverage),
      );
    });
  }

  it('--fail-on-incomplete exits 4 when a port could not be examined; without it the same hunt exits 0', async () => {
    const args = ['hunt', target(), '--request-timeout', '30', '--hunter-timeout', '0.5', '--format', 'json'];
    const strict = await runKubeferret([...args, '--fail-on-incomplete']);
    assert.equal(strict.code, 4, strict.stderr);
    const report = JSON.parse(strict.stdout);
    assert.ok(
      report.coverage.some((g: { reason: string; port?: number }) => g.reason === 'deadline' && g.port === silent.port),
      JSON.stringify(report.coverage),
    );
    assert.equal(report.stats.gaps, report.coverage.length);
    const lenient = await runKubeferret(args);
    assert.equal(lenient.code, 0, lenient.stderr);
  });
});
