import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { call } from './call.js';

// Loopback block 127.130.0.0/16 (see test/README.md). Server-side field validation as kube-apiserver does
// it (`?fieldValidation=`, on from 1.25): what makes `kubectl apply --dry-run=server` catch a misspelt field.

const job = (extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'checked', labels: { app: 'x' } },
  spec: {
    backoffLimit: 0,
    template: {
      metadata: { labels: { app: 'x' } },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '1' } }, ...container }],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    },
    ...extra,
  },
});

describe('server-side field validation', () => {
  let lab: Lab;
  let jobs: string;
  let token: string;
  before(async () => {
    lab = await startLab({ base: '127.130.0.2', etcd: 'off', nodes: 1, version: 'v1.32.4' });
    jobs = `${lab.apiServer}/apis/batch/v1/namespaces/default/jobs`;
    token = lab.credentials.admin.token!;
  });
  after(() => lab.stop());

  const post = (url: string, body: unknown) => call(url, { method: 'POST', token, body });

  it('Strict refuses unknown fields with their paths, as the server words it; known ones (inline, maps, quantities) pass', async () => {
    const ok = await post(`${jobs}?fieldValidation=Strict&dryRun=All`, job());
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.headers.warning, undefined);
    const bad = await post(
      `${jobs}?fieldValidation=Strict&dryRun=All`,
      job({ parallelizm: 2 }, { imagePullPolicyy: 'Always' }),
    );
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.reason, 'BadRequest');
    // In the order the body holds them, as the server's decoder meets them.
    assert.equal(
      bad.json.message,
      'Job in version "v1" cannot be handled as a Job: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy", unknown field "spec.parallelizm"',
    );
  });

  it('Warn (and no parameter) keeps the write, with one warning per field, and drops the field', async () => {
    for (const query of ['fieldValidation=Warn', '']) {
      const r = await post(`${jobs}?${query}&dryRun=All`, job({}, { imagePullPolicyy: 'Always' }));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers.warning, '299 - "unknown field \\"spec.template.spec.containers[0].imagePullPolicyy\\""');
      assert.equal(r.json.spec.template.spec.containers[0].imagePullPolicyy, undefined);
    }
    const ignored = await post(`${jobs}?fieldValidation=Ignore&dryRun=All`, job({}, { imagePullPolicyy: 'Always' }));
    assert.equal(ignored.status, 201, ignored.text);
    assert.equal(ignored.headers.warning, undefined);
  });

  it('refuses a directive it does not know', async () => {
    const r = await post(`${jobs}?fieldValidation=Loose&dryRun=All`, job());
    assert.equal(r.status, 400);
    assert.match(r.json.message, /fieldValidation parameter unsupported: Loose/);
  });

  it('checks Jobs and CronJobs as the server does: a template that restarts, no schedule, Indexed without completions', async () => {
    const always = job();
    always.spec.template.spec.restartPolicy = 'Always';
    let r = await post(`${jobs}?dryRun=All`, always);
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.message, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
    r = await post(`${jobs}?dryRun=All`, job({ completionMode: 'Indexed' }));
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.message, /spec\.completions: Required value/);
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: { jobTemplate: { spec: job().spec } },
    };
    const cronJobs = `${lab.apiServer}/apis/batch/v1/namespaces/default/cronjobs`;
    r = await post(`${cronJobs}?dryRun=All`, cron);
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.message, /spec\.schedule: Required value/);
    r = await post(`${cronJobs}?dryRun=All`, { ...cron, spec: { ...cron.spec, schedule: '0 3 * * *' } });
    assert.equal(r.status, 201, r.text);
  });

  it('an older server (1.24) knows no field validation: the parameter is ignored', async () => {
    const old = await startLab({ base: '127.130.1.2', etcd: 'off', nodes: 1, version: 'v1.24.0' });
    try {
      const r = await call(`${old.apiServer}/apis/batch/v1/namespaces/default/jobs?fieldValidation=Strict&dryRun=All`, {
        method: 'POST',
        token: old.credentials.admin.token!,
        body: job({ parallelizm: 2 }),
      });
      assert.equal(r.status, 201, r.text);
    } finally {
      await old.stop();
    }
  });
});
