import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { call, jwtClaims, portState } from './call.js';

// Loopback block 127.12.0.0/16 (see test/README.md).

type PodItem = {
  kind?: string;
  metadata: { name: string; namespace: string };
  spec: { containers: { name: string; securityContext?: { privileged?: boolean } }[] };
};

describe('kubelet, vulnerable profile', () => {
  let lab: Lab;
  const node = 'https://127.12.0.3:10250';
  const readOnly = 'http://127.12.0.3:10255';
  let collector: string;
  const run = (pod: string, container: string, cmd: string, ns = 'default') =>
    call(`${node}/run/${ns}/${pod}/${container}?cmd=${encodeURIComponent(cmd)}`, { method: 'POST' });

  before(async () => {
    lab = await startLab({ base: '127.12.0.2', etcd: 'off' });
    const pods = await call(`${node}/pods`);
    collector = pods.json.items.find((p: PodItem) => p.metadata.namespace === 'logging').metadata.name;
  });
  after(() => lab.stop());

  it('lists its pods to anyone, privileged ones included', async () => {
    const r = await call(`${node}/pods`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.json.kind, 'PodList');
    assert.equal(r.json.apiVersion, 'v1');
    const items = r.json.items as PodItem[];
    assert.ok(items.every((p) => p.kind === undefined));
    const debug = items.find((p) => p.metadata.name === 'debug-tools');
    assert.equal(debug?.spec.containers[0].securityContext?.privileged, true);
    assert.equal(lab.requests.at(-1)?.identity, 'system:anonymous');
    assert.equal(lab.requests.at(-1)?.component, 'kubelet');
    const running = await call(`${node}/runningpods/`);
    assert.equal(running.json.kind, 'PodList');
    assert.equal(running.json.items[0].metadata.creationTimestamp, null);
  });

  it('serves health, metrics, configz, spec, stats and its command line', async () => {
    assert.equal((await call(`${node}/healthz`)).text, 'ok');
    const metrics = await call(`${node}/metrics`);
    assert.match(metrics.text, /^kubernetes_build_info\{.*git_version="v1\.16\.0".*\} 1$/m);
    const configz = await call(`${node}/configz`);
    assert.equal(configz.json.kubeletconfig.authentication.anonymous.enabled, true);
    assert.equal(configz.json.kubeletconfig.authorization.mode, 'AlwaysAllow');
    assert.equal(configz.json.kubeletconfig.readOnlyPort, 10255);
    assert.equal((await call(`${node}/spec/`)).json.num_cores, 4);
    assert.equal((await call(`${node}/stats/summary`)).json.node.nodeName, 'lab-node-1');
    const cmdline = await call(`${node}/debug/pprof/cmdline`);
    assert.deepEqual(cmdline.text.split('\0').slice(0, 2), [
      '/usr/bin/kubelet',
      '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
    ]);
    assert.ok(cmdline.text.split('\0').includes('--anonymous-auth=true'));
  });

  it('serves the host /var/log like a file server, and container logs', async () => {
    const listing = await call(`${node}/logs/`);
    assert.equal(listing.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(listing.text, /<pre>\n<a href="alternatives.log">alternatives.log<\/a>\n/);
    assert.match(listing.text, /<a href="audit\/">audit\/<\/a>/);
    const redirect = await call(`${node}/logs/audit`);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/logs/audit/');
    const audit = await call(`${node}/logs/audit/audit.log`);
    const titles = [...audit.text.matchAll(/proctitle=([0-9A-F]+)/g)].map((m) =>
      Buffer.from(m[1], 'hex').toString().replace(/\0/g, ' '),
    );
    assert.ok(titles.includes('/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml'));
    assert.equal((await call(`${node}/logs/nope.log`)).status, 404);
    const containers = await call(`${node}/logs/containers/`);
    assert.match(containers.text, /debug-tools_default_shell-[0-9a-f]+\.log/);
    const log = await call(`${node}/containerLogs/logging/${collector}/fluentd`);
    assert.equal(log.status, 200);
    assert.match(log.text, /starting fluentd/);
    assert.equal((await call(`${node}/containerLogs/default/nope/x`)).status, 404);
  });

  it('runs the simulated commands in containers', async () => {
    assert.equal((await run('debug-tools', 'shell', 'id')).text.split(' ')[0], 'uid=0(root)');
    const uname = await run('debug-tools', 'shell', 'uname -a');
    assert.equal(uname.status, 200);
    assert.match(uname.text, /^Linux lab-node-1 6\.1\.0-18-amd64 .* x86_64 GNU\/Linux\n$/);
    assert.equal((await run(collector, 'fluentd', 'hostname', 'logging')).text, `${collector}\n`);
    assert.equal((await run(collector, 'fluentd', 'cat /etc/hostname', 'logging')).text, `${collector}\n`);
    assert.equal(
      (await run('debug-tools', 'shell', 'cat /host/etc/hostname')).text,
      'lab-node-1\n',
      'the host root is mounted at /host',
    );
    const ls = await run(collector, 'fluentd', 'ls /var/log', 'logging');
    assert.ok(ls.text.split('\n').includes('audit'), 'the host /var/log is mounted');
    const token = await run(collector, 'fluentd', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token', 'logging');
    // A 1.16 kubelet mounts the account's token secret (projected bound tokens came with 1.21).
    const claims = jwtClaims(token.text) as {
      sub: string;
      iss: string;
      'kubernetes.io/serviceaccount/secret.name': string;
    };
    assert.equal(claims.sub, 'system:serviceaccount:logging:log-collector');
    assert.equal(claims.iss, 'kubernetes/serviceaccount');
    assert.match(claims['kubernetes.io/serviceaccount/secret.name'], /^log-collector-token-[a-z0-9]{5}$/);
    assert.ok(lab.secretValues().includes(token.text));
  });

  it('answers failures the way a real kubelet does', async () => {
    const empty = await run('debug-tools', 'shell', '');
    assert.equal(empty.status, 500);
    assert.match(empty.text, /OCI runtime exec failed: .*exec: "": executable file not found in \$PATH: unknown$/);
    assert.match(
      (await run('debug-tools', 'shell', 'nmap -sS 10.0.0.0/8')).text,
      /exec: "nmap": executable file not found/,
    );
    const missingFile = await run('debug-tools', 'shell', 'cat /nope');
    assert.equal(missingFile.status, 500);
    assert.equal(missingFile.text, "command 'cat /nope' exited with 1: cat: /nope: No such file or directory\n");
    const noPod = await call(`${node}/run/test/test/test`, { method: 'POST' });
    assert.equal(noPod.status, 404);
    assert.equal(noPod.text, 'pod does not exist');
    assert.equal((await call(`${node}/run/default/debug-tools/shell?cmd=id`)).status, 405);
  });

  it("proves a host /var/log mount with kube-hunter's symbolic-link trick, and cleans up", async () => {
    const before = await lab.snapshot();
    const made = await run(collector, 'fluentd', 'ln -s / /var/log/kf-root', 'logging');
    assert.equal(made.status, 200, made.text);
    const hostname = await call(`${node}/logs/kf-root/etc/hostname`);
    assert.equal(hostname.status, 200);
    assert.equal(hostname.text, 'lab-node-1\n');
    const during = await lab.snapshot();
    assert.deepEqual(
      during.hosts['lab-node-1'].find((e) => e.path === '/var/log/kf-root'),
      { path: '/var/log/kf-root', type: 'symlink', target: '/' },
    );
    assert.equal((await run(collector, 'fluentd', 'ln -s / /var/log/kf-root', 'logging')).status, 500, 'File exists');
    await run(collector, 'fluentd', 'ln -s /etc/shadow /var/log/kf-shadow', 'logging');
    const shadow = await call(`${node}/logs/kf-shadow`);
    assert.match(shadow.text, /^root:\$6\$/);
    assert.ok(
      lab.secretValues().some((v) => shadow.text.includes(v)),
      'the shadow hash counts as a secret',
    );
    assert.equal((await run(collector, 'fluentd', 'rm /var/log/kf-root', 'logging')).status, 200);
    assert.equal((await run(collector, 'fluentd', 'rm /var/log/kf-shadow', 'logging')).status, 200);
    assert.equal((await call(`${node}/logs/kf-root/etc/hostname`)).status, 404);
    assert.deepEqual(await lab.snapshot(), before);
    assert.equal((await run(collector, 'fluentd', 'rm /var/log/kf-root', 'logging')).status, 500);
  });

  it('answers exec, attach and portForward probes like a kubelet without an upgrade', async () => {
    const exec = await call(`${node}/exec/default/debug-tools/shell?command=ls&input=1&output=1&tty=1`);
    assert.equal(exec.status, 500);
    assert.equal(exec.text, 'Upgrade request required\n');
    const noStreams = await call(`${node}/exec/default/debug-tools/shell?command=ls`);
    assert.equal(noStreams.status, 400);
    assert.equal(noStreams.text, 'you must specify at least 1 of stdin, stdout, stderr');
    assert.equal((await call(`${node}/attach/default/nope/x?output=1`)).text, 'pod does not exist');
    assert.equal((await call(`${node}/attach/default/debug-tools/shell?output=1`, { method: 'POST' })).status, 500);
    assert.equal((await call(`${node}/portForward/default/debug-tools?port=80`)).text, 'Upgrade request required\n');
  });

  it('serves the read-only port without authentication, and only the read-only paths', async () => {
    const pods = await call(`${readOnly}/pods`);
    assert.equal(pods.status, 200);
    assert.equal(pods.json.kind, 'PodList');
    assert.equal((await call(`${readOnly}/healthz`)).text, 'ok');
    assert.match((await call(`${readOnly}/metrics`)).text, /kubernetes_build_info/);
    assert.equal((await call(`${readOnly}/run/default/debug-tools/shell?cmd=id`, { method: 'POST' })).status, 404);
    assert.equal((await call(`${readOnly}/configz`)).status, 404);
  });
});

describe('kubelet, default profile', () => {
  let lab: Lab;
  const node = 'https://127.12.1.3:10250';
  before(async () => {
    lab = await startLab({ base: '127.12.1.2', profile: 'default', etcd: 'off', nodes: 1 });
  });
  after(() => lab.stop());

  it('refuses anonymous callers with 401, health included', async () => {
    for (const path of ['/pods', '/healthz', '/run/default/x/y']) {
      const r = await call(`${node}${path}`, { method: path.startsWith('/run') ? 'POST' : 'GET' });
      assert.equal(r.status, 401, path);
      assert.equal(r.text, 'Unauthorized');
    }
    assert.equal(lab.requests.at(-1)?.identity, '-', 'no credentials and no anonymous: nobody');
  });

  it('asks RBAC about nodes/<subresource> for authenticated callers', async () => {
    assert.equal((await call(`${node}/pods`, { token: lab.credentials.admin.token })).status, 200);
    const reader = await call(`${node}/pods`, { token: lab.credentials.reader.token });
    assert.equal(reader.status, 403);
    assert.equal(
      reader.text,
      'Forbidden (user=system:serviceaccount:default:reader, verb=get, resource=nodes, subresource=proxy)',
    );
    const metrics = await call(`${node}/metrics`, { token: lab.credentials.reader.token });
    assert.match(metrics.text, /subresource=metrics\)$/);
    const admin = lab.credentials['kubernetes-admin'];
    assert.equal(
      (await call(`${node}/configz`, { cert: admin.clientCert, key: admin.clientKey })).json.kubeletconfig
        .authentication.anonymous.enabled,
      false,
    );
    const pods = await call(`${node}/pods`, { token: lab.credentials.admin.token });
    const web = pods.json.items.find((p: PodItem) => p.metadata.namespace === 'default');
    const id = await call(`${node}/run/default/${web.metadata.name}/nginx?cmd=id`, {
      method: 'POST',
      token: lab.credentials.admin.token,
    });
    assert.equal(id.status, 200);
  });

  it('has no read-only port', async () => {
    assert.equal(await portState('127.12.1.3', 10255), 'closed');
  });
});
