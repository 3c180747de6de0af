import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { type Lab, startLab } from '../../src/lab/index.js';
import { type CliRun, runProcess } from '../helpers/cli.js';
import { hasCommand, requireComponent } from '../helpers/components.js';

// This file's loopback block: 127.106.0.0/16. deploy/ as kubectl sees it: rendered with its built-in
// Kustomize, applied to the lab with a server-side dry run, and the Job's own arguments run the way the
// Job runs them.

const home = mkdtempSync(join(tmpdir(), 'kf-deploy-'));
const KUSTOMIZATIONS = ['base', 'read-only', 'sharded'] as const;

function kubectl(args: string[], kubeconfig = join(home, 'none')): Promise<CliRun> {
  return runProcess('kubectl', args, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig });
}

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field below
type Manifest = Record<string, any>;

async function render(name: string): Promise<Manifest[]> {
  const r = await kubectl(['kustomize', resolve('deploy', name)]);
  assert.equal(r.code, 0, r.stderr);
  return parseAllDocuments(r.stdout).map((d) => d.toJSON() as Manifest);
}

/** The pod specs of Jobs and CronJobs. */
function podSpecs(manifests: Manifest[]): [string, Manifest][] {
  return manifests.flatMap((m): [string, Manifest][] => {
    if (m.kind === 'Job') return [[m.metadata.name, m.spec.template.spec]];
    if (m.kind === 'CronJob') return [[m.metadata.name, m.spec.jobTemplate.spec.template.spec]];
    return [];
  });
}

after(() => rmSync(home, { recursive: true, force: true }));

describe('deploy/ rendered by kubectl kustomize', () => {
  for (const name of KUSTOMIZATIONS) {
    it(`${name}: hardened pods running the scanner as its own account`, async (t) => {
      if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
      const manifests = await render(name);
      const specs = podSpecs(manifests);
      assert.ok(specs.length > 0);
      for (const [job, spec] of specs) {
        assert.equal(spec.serviceAccountName, 'kubeferret', job);
        assert.equal(spec.securityContext.runAsNonRoot, true, job);
        assert.notEqual(spec.securityContext.runAsUser, 0, job);
        for (const c of spec.containers) {
          assert.equal(c.securityContext.readOnlyRootFilesystem, true, job);
          assert.equal(c.securityContext.allowPrivilegeEscalation, false, job);
          assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], job);
          assert.ok(c.resources.requests.cpu && c.resources.limits.memory, `${job}: requests and limits`);
          assert.match(c.image, /kubeferret:\d+\.\d+\.\d+$/, job);
          assert.ok(c.args.includes('json'), `${job}: the JSON report goes to the log`);
        }
      }
      assert.ok(
        manifests.every(
          (m) => m.kind === 'Namespace' || m.kind.startsWith('Cluster') || m.metadata.namespace === 'kubeferret',
        ),
      );
    });
  }

  it('base grants no rights; read-only grants reads only, never Secrets', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const base = await render('base');
    assert.ok(!base.some((m) => /Role|Binding/.test(m.kind)), 'the account has no rights by default');
    const jobs = podSpecs(base).map(([, spec]) => spec.containers[0]);
    assert.ok(jobs.every((c) => c.args[0] === 'hunt' && c.args.includes('--pod')));
    const reports = podSpecs(base).map(([, spec]) => spec.volumes.find((v: Manifest) => v.name === 'reports'));
    assert.ok(
      reports.every((v) => v?.emptyDir),
      'reports go to an emptyDir',
    );
    const role = (await render('read-only')).find((m) => m.kind === 'ClusterRole')!;
    for (const rule of role.rules) {
      assert.deepEqual(rule.verbs, ['get', 'list']);
      assert.ok(!rule.resources.includes('secrets') && !rule.resources.includes('*'));
    }
  });

  it('sharded: an Indexed Job whose completions are the N of --shard job/N', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const job = (await render('sharded')).find((m) => m.kind === 'Job')!;
    assert.equal(job.spec.completionMode, 'Indexed');
    const args: string[] = job.spec.template.spec.containers[0].args;
    const shard = args[args.indexOf('--shard') + 1];
    assert.equal(shard, `job/${job.spec.completions}`);
  });
});

describe('deploy/ against the lab', () => {
  let lab: Lab | undefined;
  let admin: string;
  before(async () => {
    if (!hasCommand('kubectl')) return;
    // A current server (kubectl's own minor): batch/v1 CronJobs, OpenAPI v3 and server-side field validation.
    lab = await startLab({ base: '127.106.0.2', etcd: 'simulated', nodes: 1, version: 'v1.32.4' });
    admin = join(home, 'admin.kubeconfig');
    lab.kubeconfig('admin', admin);
  });
  after(() => lab?.stop());

  it('every rendered object passes a server-side dry run with validation on', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    // A dry run creates nothing, so the namespace the objects go into must exist first, as in a cluster
    // (deploy/common for real: the namespace and the account, which the next test's pod then uses.)
    const common = await kubectl(['apply', '-k', resolve('deploy', 'common')], admin);
    assert.equal(common.code, 0, common.stderr);
    for (const name of KUSTOMIZATIONS) {
      const r = await kubectl(['apply', '--dry-run=server', '-k', resolve('deploy', name)], admin);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${name}: no warning either`);
      const applied = r.stdout.trim().split('\n').filter(Boolean);
      for (const line of applied) assert.match(line, /\((server dry run)\)$/, line);
      // One line per rendered object, named by its kind: nothing left out.
      const rendered = (await render(name)).map((m) => `${m.kind.toLowerCase()}/${m.metadata.name}`).sort();
      const seen = applied.map((l) => l.split(' ')[0].replace(/^([a-z]+)\.[^/]+\//, '$1/')).sort();
      assert.deepEqual(seen, rendered, name);
    }
  });

  it('the dry run is a real check: a misspelt field or a Job that restarts is refused, as a real server does', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const base = await render('base');
    const cron = structuredClone(base.find((m) => m.kind === 'CronJob')!);
    cron.spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    const misspelt = join(home, 'misspelt.json');
    writeFileSync(misspelt, JSON.stringify(cron));
    let r = await kubectl(['apply', '--dry-run=server', '-f', misspelt], admin);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      /strict decoding error: unknown field "spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.securityContext\.readOnlyRootFileSystem"/,
    );
    const job = structuredClone(base.find((m) => m.kind === 'Job')!);
    job.spec.template.spec.restartPolicy = 'Always';
    const restarting = join(home, 'restarting.json');
    writeFileSync(restarting, JSON.stringify(job));
    r = await kubectl(['apply', '--dry-run=server', '-f', restarting], admin);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
  });

  it("runs the base Job's own arguments the way its pod does: not root, no writable TMPDIR, the lab's token", async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const [, spec] = podSpecs(await render('base')).find(([name]) => name === 'kubeferret')!;
    const dir = mkdtempSync(join(tmpdir(), 'kf-job-'));
    try {
      const reports = join(dir, 'reports');
      const tmp = join(dir, 'tmp');
      mkdirSync(reports);
      mkdirSync(tmp);
      chmodSync(reports, 0o777);
      chmodSync(tmp, 0o555);
      chmodSync(dir, 0o755);
      const pod = join(dir, 'serviceaccount');
      lab!.podFiles(pod, 'kubeferret/kubeferret');
      chmodSync(join(pod, 'token'), 0o644);
      const args: string[] = spec.containers[0].args.map((a: string) => a.replace(/^\/reports\//, `${reports}/`));
      const asUser =
        process.getuid?.() === 0 ? { uid: spec.securityContext.runAsUser, gid: spec.securityContext.runAsGroup } : {};
      const r = await runProcess(
        process.execPath,
        [resolve('bin/kubeferret.js'), ...args, '--pod-dir', pod],
        {
          PATH: process.env.PATH,
          TMPDIR: tmp,
          HOME: '/nonexistent',
          KUBERNETES_SERVICE_HOST: '127.106.0.2',
          KUBERNETES_SERVICE_PORT: '6443',
        },
        120_000,
        { cwd: '/', ...asUser },
      );
      if (r.code === null || /EACCES.*bin\/kubeferret/.test(r.stderr))
        return t.skip(`cannot run as uid ${spec.securityContext.runAsUser}: ${r.stderr}`);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.deepEqual(report.scan.vantagePoints, ['pod']);
      const identities = report.scan.identities.map((i: { name: string }) => i.name);
      assert.ok(identities.includes('pod:kubeferret/kubeferret'), `the pod's own account: ${identities}`);
      assert.ok(report.access.rows.length > 0, 'what the account may do, asked of the API server');
      assert.match(readFileSync(join(reports, 'report.html'), 'utf8'), /<html/);
      assert.match(readFileSync(join(reports, 'report.sarif'), 'utf8'), /"version": "2\.1\.0"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
