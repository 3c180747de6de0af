import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import { clientVersionOf, findOnPath } from '../../../src/hunters/cve/local-kubectl.js';
import { HUNTERS } from '../../../src/hunters/index.js';
import { BUNDLED_CVE_FILE, useCveFile } from '../../../src/kb/cve-data.js';
import { runHunt } from '../../../src/run/hunt.js';
import { requireComponent } from '../../helpers/components.js';

useCveFile(BUNDLED_CVE_FILE);
const root = mkdtempSync(join(tmpdir(), 'kf-local-kubectl-'));
const originalPath = process.env.PATH;
after(() => {
  process.env.PATH = originalPath;
});

/** A directory holding a `kubectl` that runs `script`, and records its arguments to `args`. */
function fakeKubectl(name: string, script: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const path = join(dir, 'kubectl');
  writeFileSync(path, `#!/bin/sh\necho "$@" >> "${join(dir, 'args')}"\n${script}\n`);
  chmodSync(path, 0o755);
  return dir;
}

function clientJson(gitVersion: string): string {
  return `cat <<'JSON'\n${JSON.stringify({ clientVersion: { major: '1', minor: '14', gitVersion, platform: 'linux/amd64' }, kustomizeVersion: 'v2.0.3' }, null, 2)}\nJSON`;
}

/** A hunt with --local and nothing else: no targets, so nothing but the local kubectl is looked at. */
async function localHunt(
  pathDirs: string[],
  options: { local?: boolean; hunterTimeoutMs?: number; systemPath?: boolean } = {},
) {
  process.env.PATH = [...pathDirs, ...(options.systemPath === false ? [] : [originalPath])].join(delimiter);
  const result = await runHunt(
    defaultConfig({ local: options.local ?? true, hunterTimeoutMs: options.hunterTimeoutMs ?? 20_000 }),
    HUNTERS,
  );
  return {
    result,
    versions: result.events.filter((e): e is KfEvent<'Version'> => e.type === 'Version'),
    findings: result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding'),
  };
}

describe('--local: the kubectl on the PATH', () => {
  it('publishes its version and reports the kubectl CVEs that affect it', async () => {
    const dir = fakeKubectl('old', clientJson('v1.14.1'));
    const { versions, findings, result } = await localHunt([dir]);
    assert.deepEqual(result.problems, []);
    assert.equal(versions.length, 1);
    assert.equal(versions[0].component, 'kubectl');
    assert.equal(versions[0].version, 'v1.14.1');
    assert.equal(versions[0].binary, join(dir, 'kubectl'));
    const ids = findings.map((f) => f.kb);
    for (const id of ['CVE-2019-11246', 'CVE-2019-11249', 'CVE-2019-11251']) assert.ok(ids.includes(id), id);
    assert.ok(!ids.includes('CVE-2019-1002101'), 'fixed in 1.14.0');
    assert.ok(!ids.includes('CVE-2019-11247'), 'an API server CVE is not decided by kubectl');
    const f = findings.find((x) => x.kb === 'CVE-2019-11246');
    assert.equal(f?.object, `kubectl v1.14.1 (${join(dir, 'kubectl')})`);
    assert.equal(f?.host, undefined);
    assert.equal(readFileSync(join(dir, 'args'), 'utf8'), 'version --client -o json\n', 'nothing else is run');
  });

  it('does nothing without --local', async () => {
    const dir = fakeKubectl('not-asked', clientJson('v1.14.1'));
    const { versions, findings } = await localHunt([dir], { local: false });
    assert.deepEqual(versions, []);
    assert.deepEqual(findings, []);
    assert.throws(() => readFileSync(join(dir, 'args')), /ENOENT/, 'kubectl was not run');
  });

  it('warns in one line when kubectl fails, prints nonsense or is missing, and the hunt goes on', async () => {
    const cases: Array<[string, string[], RegExp]> = [
      [
        'failing',
        [fakeKubectl('failing', 'echo "error: unknown flag" >&2; exit 1')],
        /version --client` failed: Command failed/,
      ],
      ['nonsense', [fakeKubectl('nonsense', 'echo "Client Version: v1.14.1"')], /printed no client version/],
      [
        'garbage version',
        [fakeKubectl('huge', `printf '{"clientVersion":{"gitVersion":"%0300d"}}' 1`)],
        /printed no client version/,
      ],
      ['missing', [join(root, 'empty-dir')], /no kubectl on the PATH/],
    ];
    for (const [what, dirs, message] of cases) {
      // Only the fake directory on the PATH, so the real kubectl cannot stand in.
      const { result } = await localHunt(dirs, { systemPath: false });
      const warnings = result.problems.filter((p) => p.hunter === 'local-kubectl-version');
      assert.equal(warnings.length, 1, `${what}: ${JSON.stringify(result.problems)}`);
      assert.equal(warnings[0].kind, 'warning');
      assert.match(warnings[0].message, message, what);
      assert.doesNotMatch(warnings[0].message, /\n/);
      assert.equal(result.events.filter((e) => e.type === 'Version').length, 0, what);
    }
  });

  it('gives up on a kubectl that hangs when the hunter time is up', async () => {
    const dir = fakeKubectl('hanging', 'exec sleep 60');
    const { result, versions } = await localHunt([dir], { hunterTimeoutMs: 1500 });
    assert.deepEqual(versions, []);
    const timeout = result.problems.find((p) => p.hunter === 'local-kubectl-version');
    assert.equal(timeout?.kind, 'timeout');
  });

  it('reads the real kubectl', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const { versions, result } = await localHunt([]);
    assert.deepEqual(result.problems, []);
    assert.equal(versions.length, 1);
    assert.equal(versions[0].binary, findOnPath('kubectl'));
    assert.match(versions[0].version, /^v1\.\d+\.\d+/);
  });
});

describe('helpers', () => {
  it('finds the first executable on the PATH and skips what is not one', () => {
    const a = join(root, 'path-a');
    const b = fakeKubectl('path-b', 'true');
    mkdirSync(a);
    writeFileSync(join(a, 'kubectl'), 'not executable');
    mkdirSync(join(a, 'kubectl-dir'));
    assert.equal(findOnPath('kubectl', [a, '', b].join(delimiter)), join(b, 'kubectl'));
    assert.equal(findOnPath('kubectl-dir', a), undefined);
    assert.equal(findOnPath('kubectl', ''), undefined);
  });

  it('takes the client gitVersion from the JSON kubectl prints, nothing else', () => {
    assert.equal(clientVersionOf('{"clientVersion":{"gitVersion":"v1.32.4-dispatcher"}}'), 'v1.32.4-dispatcher');
    assert.equal(clientVersionOf('{"serverVersion":{"gitVersion":"v1.30.0"}}'), undefined);
    assert.equal(clientVersionOf('{"clientVersion":{"gitVersion":42}}'), undefined);
    assert.equal(clientVersionOf('Client Version: v1.32.4'), undefined);
    assert.equal(clientVersionOf(''), undefined);
  });
});
