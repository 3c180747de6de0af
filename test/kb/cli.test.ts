import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';

const root = mkdtempSync(join(tmpdir(), 'kf-kb-cli-'));
const bundled = JSON.parse(readFileSync(new URL('../../src/kb/data/cves.json', import.meta.url), 'utf8'));
let homes = 0;

/** The real executable, with a data home of its own so the user's installed CVE data is never touched. */
function kubeferret(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/kubeferret.js', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, XDG_DATA_HOME: join(root, `home-${++homes}`), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUsage(r: ReturnType<typeof kubeferret>, message: RegExp) {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

function writeJson(name: string, content: unknown): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** Refreshed data: the bundled CVEs plus one that affects kubectl v1.40.x. */
const refreshed = writeJson('refreshed.json', {
  ...bundled,
  updated: '2999-01-01',
  cves: [
    ...bundled.cves,
    {
      ...bundled.cves[0],
      id: 'CVE-2099-4242',
      title: 'kubectl trusts the moon',
      components: ['kubectl'],
      severity: 'high',
      cvss: undefined,
      // No precondition: it applies wherever the version is seen.
      condition: undefined,
      conditions: undefined,
      affected: [{ introduced: '1.40.0', fixed: '1.40.7' }],
    },
  ],
});

describe('kubeferret explain', () => {
  it('prints an entry by KF id', () => {
    const r = kubeferret(['explain', 'kf-kubelet-001']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KF-KUBELET-001 {2}Kubelet API accepts anonymous requests\n/);
    assert.match(r.stdout, /kind: weakness {4}category: remote code execution {4}severity: critical/);
    assert.match(r.stdout, /aliases: KHV036, T1133, T1609/);
    assert.match(r.stdout, /Remediation: .*--anonymous-auth=false/s);
  });

  it('prints every entry a KHV id stands for', () => {
    const r = kubeferret(['explain', 'KHV005']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KF-API-002 /);
    assert.match(r.stdout, /\n---\n\nKF-POD-001 /);
  });

  it('prints a CVE with its fixed versions and the source of its ranges', () => {
    const r = kubeferret(['explain', 'CVE-2020-8558']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kind: cve/);
    assert.match(r.stdout, /Upgrade kube-proxy, kubelet to a fixed release: 1\.16\.11, 1\.17\.7, 1\.18\.4/);
    assert.match(
      r.stdout,
      /Affected and fixed versions from: https:\/\/github\.com\/kubernetes\/kubernetes\/issues\/92315/,
    );
  });

  it('prints a proof with what it proves', () => {
    const r = kubeferret(['explain', 'KF-ETCD-101']);
    assert.match(r.stdout, /proves: KF-ETCD-003, KF-ETCD-002/);
  });

  it('refuses an unknown id in one line', () => {
    assertUsage(
      kubeferret(['explain', 'KF-NOPE-999']),
      /no knowledge-base entry or CVE has the id or alias "KF-NOPE-999"/,
    );
    assertUsage(kubeferret(['explain', 'x'.repeat(5000)]), /"x{80}"/);
  });
});

describe('kubeferret list --kb', () => {
  it('lists every entry with its kube-hunter id', () => {
    const r = kubeferret(['list', '--kb']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /KF-ETCD-003 +weakness +critical +KHV032 +etcd keys readable without authentication/);
    assert.match(r.stdout, /\n\d+ entries; \d+ CVEs in `kubeferret cve list`/);
    const json = JSON.parse(kubeferret(['list', '--kb', '--json']).stdout) as Array<{ id: string; kind: string }>;
    assert.ok(json.length > 70);
    assert.ok(json.every((e) => e.id.startsWith('KF-') && e.kind !== 'cve'));
  });
});

describe('kubeferret cve', () => {
  it('lists the bundled CVEs and says where they come from', () => {
    const r = kubeferret(['cve', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CVE-2018-1002105 +critical +kube-apiserver +Proxied upgrade requests/);
    assert.match(
      r.stdout,
      /\n\d+ CVEs from .*dist\/data\/cves\.json \(bundled, updated \d{4}-\d\d-\d\d\); \d+ left out/,
    );
  });

  it('shows one CVE, and refuses one it does not have', () => {
    assert.match(kubeferret(['cve', 'show', 'cve-2019-11253']).stdout, /billion laughs/);
    assertUsage(kubeferret(['cve', 'show', 'CVE-2099-4242']), /CVE-2099-4242 is not in the CVE data/);
  });

  it('checks a version string the way the hunter matches it', () => {
    const r = kubeferret(['cve', 'check', 'v1.27.3-eks-a5565ad']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^v1\.27\.3-eks-a5565ad is a vendor build \("eks-a5565ad"\) of 1\.27\.3: hunts hold these back/,
    );
    assert.match(r.stdout, /CVE-2024-3177 +low +<1\.27\.13/);
    assert.match(r.stdout, /\d+ CVEs affect kubernetes 1\.27\.3/);
    const etcd = kubeferret(['cve', 'check', '3.4.9', '--component', 'etcd']);
    assert.match(etcd.stdout, /CVE-2020-15106/);
    assert.match(
      etcd.stdout,
      /^CVE-2021-28235 .*\n {2}fixed in 3\.4\.25, 3\.5\.8\n {2}only if authentication is enabled; the endpoint \/debug\/pprof is answering\n/m,
      'the conditions a hunt checks are shown',
    );
    assertUsage(kubeferret(['cve', 'check', 'latest']), /"latest" is not a version like v1\.27\.3 or 3\.4\.23/);
    assertUsage(
      kubeferret(['cve', 'check', 'v1.2.3', '--component', 'dns']),
      /--component takes one of kubernetes, kubelet, etcd, kubectl/,
    );
  });

  it('installs refreshed data for the user, which every command then uses, and resets to the bundled data', () => {
    const home = join(root, 'refresh-home');
    const env = { XDG_DATA_HOME: home };
    const update = kubeferret(['cve', 'update', refreshed], env);
    assert.equal(update.code, 0, update.stderr);
    assert.match(
      update.stdout,
      new RegExp(
        `^installed ${bundled.cves.length + 1} CVEs \\(updated 2999-01-01\\) from .* to ${home}/kubeferret/cves\\.json\\n$`,
      ),
    );
    assert.ok(existsSync(join(home, 'kubeferret', 'cves.json')));
    assert.match(kubeferret(['cve', 'list'], env).stdout, /\(user, updated 2999-01-01\)/);
    assert.match(kubeferret(['explain', 'cve-2099-4242'], env).stdout, /kubectl trusts the moon/);
    const reset = kubeferret(['cve', 'reset'], env);
    assert.match(reset.stdout, new RegExp(`^removed ${home}/kubeferret/cves\\.json\\n.*\\(bundled,`));
    assertUsage(kubeferret(['explain', 'CVE-2099-4242'], env), /no knowledge-base entry or CVE/);
    assert.match(kubeferret(['cve', 'reset'], env).stdout, /^no CVE data installed at /);
  });

  it('merges the official Kubernetes CVE feed, then OSV records, into the data in use, one line per record', () => {
    const home = join(root, 'feed-home');
    const env = { XDG_DATA_HOME: home };
    const fixtures = new URL('../fixtures/cve/', import.meta.url).pathname;
    const feed = kubeferret(['cve', 'update', join(fixtures, 'kubernetes-feed.json')], env);
    assert.equal(feed.code, 0, feed.stderr);
    const lines = feed.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'changed  CVE-2024-3177: fixed in 1.26.16 added (curated conditions and text kept)',
      'added    CVE-2026-99901: kubelet; medium; fixed in 1.32.10, 1.33.6, 1.34.2',
      'left out CVE-2026-99902: the item names no fixed release of a Kubernetes component',
      'the Kubernetes CVE feed: 1 added, 1 changed, 1 unchanged, 1 left out; curated conditions kept',
    ]);
    assert.match(
      lines[4],
      new RegExp(`^installed ${bundled.cves.length + 1} CVEs \\(updated \\d{4}-\\d\\d-\\d\\d\\) from `),
    );
    const check = kubeferret(['cve', 'check', 'v1.33.2', '--component', 'kubelet'], env);
    assert.match(
      check.stdout,
      /^CVE-2026-99901 {2}medium {4}>=1\.33\.0 <1\.33\.6 {2}Kubelet leaks projected token paths/m,
    );
    const osv = kubeferret(['cve', 'update', join(fixtures, 'osv-etcd.json')], env);
    assert.equal(osv.code, 0, osv.stderr);
    assert.match(osv.stdout, /^added {4}CVE-2026-99903: etcd; medium; fixed in 3\.4\.40, 3\.5\.24\n/);
    assert.match(osv.stdout, /\nOSV records: 1 added, 0 changed, 1 unchanged, 1 left out; curated conditions kept\n/);
    const installed = JSON.parse(readFileSync(join(home, 'kubeferret', 'cves.json'), 'utf8'));
    const ids = installed.cves.map((c: { id: string }) => c.id);
    assert.ok(ids.includes('CVE-2026-99901') && ids.includes('CVE-2026-99903'), 'the second merge kept the first');
    const windows = installed.cves.find((c: { id: string }) => c.id === 'CVE-2023-3676');
    assert.deepEqual(windows.conditions, [{ fact: 'os', is: 'windows' }]);
  });

  it('refuses a bad feed item in one line naming the record and the field, installing nothing', () => {
    const home = join(root, 'bad-feed-home');
    const feed = JSON.parse(readFileSync(new URL('../fixtures/cve/kubernetes-feed.json', import.meta.url), 'utf8'));
    feed.items[1].id = 'CVE-24-3177';
    assertUsage(
      kubeferret(['cve', 'update', writeJson('bad-feed.json', feed)], { XDG_DATA_HOME: home }),
      /bad-feed\.json: items\[1\] id: "CVE-24-3177" is not a CVE id like CVE-2023-3676\n$/,
    );
    assert.equal(existsSync(join(home, 'kubeferret', 'cves.json')), false);
  });

  it('says so when the installed data is older than the bundled data', () => {
    const older = writeJson('older.json', { ...bundled, updated: '2001-01-01' });
    const r = kubeferret(['cve', 'update', older]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nnote: the bundled data \(.*\) is newer, so it stays in use\n$/);
  });

  it('refuses bad data in one line that names the first problem, installing nothing', () => {
    const home = join(root, 'bad-home');
    const bad = writeJson('bad.json', { ...bundled, cves: [{ ...bundled.cves[0], affected: [{ fixed: '1.2' }] }] });
    assertUsage(
      kubeferret(['cve', 'update', bad], { XDG_DATA_HOME: home }),
      /bad\.json is not valid CVE data: cves\.0\.affected\.0\.fixed: must be a plain semver version/,
    );
    assert.equal(existsSync(join(home, 'kubeferret', 'cves.json')), false);
    const notJson = join(root, 'not.json');
    writeFileSync(notJson, '<html>');
    assertUsage(kubeferret(['cve', 'update', notJson]), /not\.json is not JSON: /);
    assertUsage(
      kubeferret(['cve', 'update', join(root, 'missing.json')]),
      /cannot read CVE data .*missing\.json: no such file/,
    );
    assertUsage(kubeferret(['cve', 'list', '--cve-data', bad]), /is not valid CVE data/);
  });

  it('says "cve update", names the bad record and its field, and never spins on an impossible folder', () => {
    const record = bundled.cves[1];
    const bad = writeJson('bad-title.json', { ...bundled, cves: [bundled.cves[0], { ...record, title: '' }] });
    assertUsage(
      kubeferret(['cve', 'update', bad], { XDG_DATA_HOME: join(root, 'title-home') }),
      new RegExp(
        `^kubeferret: cve update: .*bad-title\\.json is not valid CVE data: cves\\.1\\.title: .* \\(record ${record.id}, field title\\)\\n$`,
      ),
    );
    const good = writeJson('good-again.json', { ...bundled, updated: '2999-01-01' });
    // Node 20's recursive mkdir loops forever under /proc: this must answer at once, in one line.
    const r = kubeferret(['cve', 'update', good], { XDG_DATA_HOME: '/proc/nope' });
    assertUsage(
      r,
      /^kubeferret: cve update: cannot write the CVE data to \/proc\/nope\/kubeferret\/cves\.json: no such folder\n$/,
    );
  });
});

describe('kubeferret hunt: CVE options', () => {
  function fakeKubectl(gitVersion: string): string {
    const dir = join(root, `kubectl-${gitVersion}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kubectl'), `#!/bin/sh\necho '{"clientVersion":{"gitVersion":"${gitVersion}"}}'\n`);
    chmodSync(join(dir, 'kubectl'), 0o755);
    return dir;
  }

  /** The findings of a JSON report as `severity kb title`, one per line. */
  function findingLines(stdout: string): string {
    const report = JSON.parse(stdout) as { findings: Array<{ severity: string; kb: string; title: string }> };
    return report.findings.map((f) => `[${f.severity}] ${f.kb} ${f.title}`).join('\n');
  }

  it('checks the local kubectl with --local, needing no target', () => {
    const r = kubeferret(['hunt', '--local', '--fail-on', 'medium', '--format', 'json'], {
      PATH: [fakeKubectl('v1.14.1'), process.env.PATH].join(delimiter),
    });
    assert.equal(r.code, 1, `a medium finding fails the run: ${r.stderr}`);
    assert.match(
      findingLines(r.stdout),
      /\[medium\] CVE-2019-11246 kubectl cp can write outside the destination directory/,
    );
    assert.match(r.stdout, /kubectl v1\.14\.1 seen at /);
  });

  it('uses the CVE data named with --cve-data', () => {
    const r = kubeferret(['hunt', '--local', '--cve-data', refreshed, '--fail-on', 'none', '--format', 'json'], {
      PATH: [fakeKubectl('v1.40.3'), process.env.PATH].join(delimiter),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(findingLines(r.stdout), /\[high\] CVE-2099-4242 kubectl trusts the moon/);
  });

  it('holds back the CVEs of a vendor build unless --include-patched-versions', () => {
    const env = { PATH: [fakeKubectl('v1.14.1-dispatcher'), process.env.PATH].join(delimiter) };
    const held = findingLines(kubeferret(['hunt', '--local', '--fail-on', 'none', '--format', 'json'], env).stdout);
    assert.match(held, /\[info\] KF-CVE-001 /);
    assert.doesNotMatch(held, /\] CVE-2019-11246/);
    const all = findingLines(
      kubeferret(['hunt', '--local', '--include-patched-versions', '--fail-on', 'none', '--format', 'json'], env)
        .stdout,
    );
    assert.match(all, /\[medium\] CVE-2019-11246/);
    assert.doesNotMatch(all, /KF-CVE-001/);
  });

  it('refuses bad CVE data before hunting', () => {
    assertUsage(
      kubeferret(['hunt', '127.40.0.2', '--cve-data', join(root, 'nope.json')]),
      /cannot read CVE data .*nope\.json: no such file/,
    );
  });
});
