import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readKbSources } from '../../src/kb/sources.js';

// Runs the real executable: what a user types, what a user sees.
function kubeferret(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/kubeferret.js', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUsage(args: string[], message: RegExp) {
  const r = kubeferret(...args);
  assert.equal(r.code, 2, `exit 2 for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('command line', () => {
  it('prints its version, the CVE data day and the knowledge-base revision of the sources it was built from', () => {
    const r = kubeferret('--version');
    assert.equal(r.code, 0);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    const kb = readKbSources();
    assert.match(kb.revision, /^[0-9a-f]{12}$/);
    assert.equal(r.stdout, `${pkg.version} (CVE data ${kb.cves.updated}, knowledge base ${kb.revision})\n`);
  });

  it('gives one clear line and exit 2 for bad usage', () => {
    assertUsage(['hunt', '10.0.0.0/33'], /^kubeferret: "10\.0\.0\.0\/33": the prefix length must be 0-32\n$/);
    assertUsage(['hunt'], /name at least one target.*never picks targets by itself/);
    assertUsage(['hunt', '10.0.0.0/8'], /covers 16777216 addresses.*--allow-large/);
    assertUsage(['hunt', '127.0.3.2', '--ports', '0-5'], /--ports: "0-5" is not a port/);
    assertUsage(['hunt', '127.0.3.2', '--timeout', 'soon'], /--timeout takes seconds/);
    assertUsage(['hunt', '127.0.3.2', '--handshake-timeout', '0'], /--handshake-timeout takes seconds, more than 0/);
    assertUsage(
      ['hunt', '127.0.3.2', '--fail-on', 'severe'],
      /--fail-on takes one of info, low, medium, high, critical, none/,
    );
    assertUsage(
      ['hunt', '--targets-file', '/nonexistent/targets.txt'],
      /cannot read targets file \/nonexistent\/targets.txt: no such file/,
    );
    for (const bad of ['dns.example', '10.0.0.1:99999', '127.0.0.1:', '[::1', 'fd00::1:53:x']) {
      assertUsage(
        ['hunt', '127.0.3.2', '--dns-server', bad],
        /^kubeferret: --dns-server takes a name server's IP address with an optional port .*, not ".*"\n$/,
      );
    }
    assertUsage(['hunt', '127.0.3.2', '--bogus'], /unknown option '--bogus'/);
    assertUsage(['explain', 'KF-NOPE-999'], /no knowledge-base entry/);
  });

  it('reads targets from a file and refuses a bad line in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-cli-'));
    const file = join(dir, 'targets.txt');
    writeFileSync(file, '# lab\n127.0.3.2\n\n10.0.0.0/40\n');
    assertUsage(['hunt', '--targets-file', file], /"10\.0\.0\.0\/40": the prefix length must be 0-32/);
  });

  it('exits 2 when the trace cannot be written: found before the hunt, like any output place', () => {
    const r = kubeferret('hunt', '127.0.3.2', '--ports', '9', '--trace', '/nonexistent-dir/trace.jsonl');
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^kubeferret: --trace \/nonexistent-dir\/trace.jsonl: cannot write in \/nonexistent-dir: no such folder\n$/,
    );
  });

  it('hunts a named target and exits 0 when nothing is found', () => {
    const r = kubeferret('hunt', '127.0.3.2', '--ports', '9', '--fail-on', 'info');
    assert.equal(r.code, 0, r.stderr);
  });
});
