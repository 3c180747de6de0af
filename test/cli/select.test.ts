import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  FACT_PUBLISHERS,
  selectHunters,
  selectionRecorder,
  tagsOf,
  withoutMilderFindings,
} from '../../src/cli/flags/select.js';
import { defaultConfig } from '../../src/core/config.js';
import { UsageError } from '../../src/core/errors.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { severityOf } from '../../src/kb/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { runHunt } from '../../src/run/hunt.js';
import { runKubeferret } from '../helpers/cli.js';

// This file's loopback block: 127.102.0.0/16. --only, --skip, --min-severity: what runs, what is kept
// because another hunter needs it, and that the run says it was partial.

const ids = (hunters: readonly { id: string }[]) => hunters.map((h) => h.id);

describe('choosing hunters', () => {
  it('names hunters by id, KB id, kube-hunter id and tag', () => {
    assert.ok(ids(selectHunters(HUNTERS, { only: ['etcd-access'] })!.hunters).includes('etcd-access'));
    // KHV002 is the alias of KF-API-003, which apiserver-version reports.
    const byKhv = selectHunters(HUNTERS, { only: ['KHV002'] })!;
    assert.ok(ids(byKhv.hunters).includes('apiserver-version'));
    assert.ok(byKhv.left.includes('etcd-active-keys'));
    const byKb = selectHunters(HUNTERS, { only: ['kf-kubelet-003'] })!;
    assert.ok(ids(byKb.hunters).includes('kubelet-debug-handlers'));
    const byTag = selectHunters(HUNTERS, { only: ['etcd'] })!;
    const reporting = byTag.hunters.filter((h) => (h.reports ?? []).length > 0);
    assert.deepEqual(ids(reporting).sort(), ['etcd-access', 'etcd-active-keys', 'etcd-client-certs']);
  });

  it('keeps the hunter a chosen one needs, and says who needs it', () => {
    const s = selectHunters(HUNTERS, { only: ['kubelet-debug-handlers'] })!;
    assert.ok(
      ids(s.hunters).includes('kubelet-access'),
      'the kubelet findings it listens for come from kubelet-access',
    );
    assert.deepEqual(s.kept.get('kubelet-access'), ['kubelet-debug-handlers']);
    assert.ok(ids(s.hunters).includes('fingerprint'), 'services are found by fingerprint');
    // Skipping a needed hunter explicitly still keeps it: the chosen one would hear nothing otherwise.
    const skipped = selectHunters(HUNTERS, { only: ['cve'], skip: ['apiserver-version'] })!;
    assert.ok(ids(skipped.hunters).includes('apiserver-version'));
    assert.deepEqual(skipped.kept.get('apiserver-version'), ['cve-versions']);
  });

  it('keeps the survey of every identity for the hunter that asks each of them again in every namespace', () => {
    const s = selectHunters(HUNTERS, { only: ['apiserver-namespaces'] })!;
    assert.ok(ids(s.hunters).includes('apiserver-anonymous-access'));
    assert.ok(s.kept.get('apiserver-credential-access')?.includes('apiserver-namespaces'));
    // The namespaces it asks about include those a kubelet's pods and etcd's keys name (NamespaceSeen).
    for (const id of ['kubelet-pod-specs', 'etcd-access']) {
      assert.ok(s.kept.get(id)?.includes('apiserver-namespaces'), id);
    }
    assert.ok(ids(s.hunters).includes('kubelet-access'), 'kubelet-pod-specs hears of kubelets from it');
    const late = selectHunters(HUNTERS, { only: ['apiserver-namespaces-late'] })!;
    assert.ok(late.kept.get('kubelet-pod-specs')?.includes('apiserver-namespaces-late'));
  });

  it('keeps the hunters that read token Secrets for those that follow the identities they find', () => {
    // Found tokens are Credentials whose access the credential hunter surveys: KF-API-010 and the paths.
    const access = selectHunters(HUNTERS, { only: ['apiserver-credential-access'] })!;
    for (const id of ['apiserver-secrets', 'apiserver-namespaces'])
      assert.ok(access.kept.get(id)?.includes('apiserver-credential-access'), id);
    const late = selectHunters(HUNTERS, { only: ['apiserver-attack-paths-late'] })!;
    assert.ok(late.kept.get('apiserver-secrets')?.includes('apiserver-attack-paths-late'));
    assert.ok(late.kept.get('apiserver-anonymous-access')?.includes('apiserver-attack-paths-late'));
    // The pod hunters hear only the pod's own Credential, which discovery publishes: nothing kept for them.
    assert.deepEqual(selectHunters(HUNTERS, { only: ['pod-host-mounts'] })!.kept.size, 0);
  });

  it('--skip leaves out what it names; --min-severity keeps hunters that can report that severity', () => {
    const s = selectHunters(HUNTERS, { skip: ['tls,dashboard-exposed'] })!;
    assert.ok(s.left.includes('tls-certificate') && s.left.includes('dashboard-exposed'));
    assert.ok(ids(s.hunters).includes('kubelet-access'));
    const severe = selectHunters(HUNTERS, { minSeverity: 'critical' })!;
    assert.ok(severe.left.includes('tls-certificate'), 'its findings are at most high');
    assert.ok(ids(severe.hunters).includes('apiserver-insecure-port'));
  });

  it('without a selection every hunter runs; a word naming nothing is a usage error', () => {
    assert.equal(selectHunters(HUNTERS, {}), undefined);
    assert.throws(() => selectHunters(HUNTERS, { only: ['kubelet,nonsense'] }), UsageError);
    assert.throws(() => selectHunters(HUNTERS, { skip: [''] }) && selectHunters(HUNTERS, { skip: ['KHV999'] }), {
      message: /--skip: "khv999" names no hunter/,
    });
  });

  it('tags say the component, the mode, cve and discovery', () => {
    const tags = (id: string) => tagsOf(HUNTERS.find((h) => h.id === id)!);
    assert.deepEqual(tags('kubelet-access'), ['kubelet', 'passive']);
    assert.deepEqual(tags('etcd-active-keys'), ['active', 'etcd']);
    assert.ok(tags('cve-versions').includes('cve'));
    assert.ok(tags('fingerprint').includes('discovery'));
  });
});

describe('a selected hunt of the lab', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ base: '127.102.1.2', etcd: 'simulated', nodes: 1 });
  });
  after(() => lab.stop());
  const targets = '127.102.1.2-127.102.1.3';

  it('records the hunters left out as a coverage gap, so the report says the run was partial', async () => {
    const s = selectHunters(HUNTERS, { only: ['etcd'] })!;
    const config = defaultConfig({ targets: [parseTarget(targets)], ports: [2379, 6443, 8080, 10250] });
    const result = await runHunt(config, [...s.hunters, selectionRecorder(s)]);
    // Beside the selection's gap, only the etcd hunters' own (the lab's etcd holds more tokens than are hunted with).
    const gaps = result.events.filter((e) => e.type === 'CoverageGap' && e.hunter !== 'etcd-tokens');
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0].type === 'CoverageGap' && gaps[0].reason, 'skipped');
    assert.match(JSON.stringify(gaps[0]), /--only etcd: \d+ hunter\(s\) not run: .*kubelet-access/);
    const findings = result.events.filter((e) => e.type === 'Finding');
    assert.ok(findings.length > 0);
    for (const f of findings) assert.match(f.type === 'Finding' ? f.kb : '', /^KF-ETCD-/);
  });

  it('on the command line: only the chosen findings, below --min-severity left out, a partial-run note', async () => {
    const only = await runKubeferret([
      'hunt',
      targets,
      '--quick',
      '--format',
      'json',
      '--only',
      'KF-ETCD-001,kubelet-access',
    ]);
    assert.equal(only.code, 1, only.stderr);
    assert.match(only.stderr, /^kubeferret: partial run: --only KF-ETCD-001,kubelet-access: \d+ hunter\(s\) not run/);
    const kbs = new Set(JSON.parse(only.stdout).findings.map((f: { kb: string }) => f.kb.replace(/-\d+$/, '')));
    assert.deepEqual([...kbs].sort(), ['KF-ETCD', 'KF-KUBELET']);

    const severe = await runKubeferret(['hunt', targets, '--quick', '--format', 'json', '--min-severity', 'critical']);
    assert.match(severe.stderr, /--min-severity critical: .*; findings below critical left out of the report\n$/);
    assert.ok(JSON.parse(severe.stdout).findings.some((f: { severity: string }) => f.severity === 'critical'));
  });

  it('--min-severity leaves milder findings out of the result, except those a kept event came from', async () => {
    const s = selectHunters(HUNTERS, { minSeverity: 'high' })!;
    const config = defaultConfig({ targets: [parseTarget(targets)], ports: [2379, 6443, 8080, 10250, 10255] });
    const full = await runHunt(config, s.hunters);
    const kept = withoutMilderFindings(full, 'high');
    const parents = new Set(kept.events.flatMap((e) => e.parents));
    const findings = kept.events.filter((e) => e.type === 'Finding');
    assert.ok(findings.length < full.events.filter((e) => e.type === 'Finding').length, 'something was milder');
    for (const f of findings) {
      if (f.type !== 'Finding') continue;
      const severe = ['high', 'critical'].includes(severityOf(f));
      assert.ok(severe || parents.has(f.id), `${f.kb} (${severityOf(f)}) is neither high nor the origin of another`);
    }
  });

  it('a bad selection is one line and exit 2, before anything is sent', async () => {
    const r = await runKubeferret(['hunt', targets, '--only', 'kubelet,nonsense']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'kubeferret: --only: "nonsense" names no hunter, knowledge-base id, kube-hunter id or tag (see `kubeferret list`)\n',
    );
    const sev = await runKubeferret(['hunt', targets, '--min-severity', 'severe']);
    assert.equal(sev.code, 2);
    assert.match(sev.stderr, /--min-severity takes one of info, low, medium, high, critical, not "severe"/);
  });
});

describe('the table of fact publishers', () => {
  /** Hunter ids defined in each source file under src/hunters and src/discovery that publishes `event`. */
  function publishersInSources(event: 'Version' | 'ApiAccess' | 'NamespaceSeen'): string[] {
    const call =
      event === 'Version'
        ? /publishVersion\(|publish\('Version'/
        : event === 'ApiAccess'
          ? /publishAccess\(|publish\('ApiAccess'/
          : /publish\('NamespaceSeen'|learnNamespaces\(/;
    const ids: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          if (call.test(text)) for (const m of text.matchAll(/^\s+id: '([a-z0-9-]+)'/gm)) ids.push(m[1]);
        }
      }
    };
    walk('src/hunters');
    walk('src/discovery');
    return ids.filter((id) => HUNTERS.some((h) => h.id === id));
  }

  it('names every hunter whose source publishes Version, ApiAccess or NamespaceSeen, and only registered hunters', () => {
    for (const event of ['Version', 'ApiAccess', 'NamespaceSeen'] as const) {
      const listed = FACT_PUBLISHERS[event] ?? [];
      for (const id of publishersInSources(event)) assert.ok(listed.includes(id), `${id} publishes ${event}`);
      for (const id of listed)
        assert.ok(
          HUNTERS.some((h) => h.id === id),
          `${id} is a registered hunter`,
        );
    }
  });
});
