import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { UsageError } from '../../src/core/errors.js';
import { IDENTITY_NAMES, type Lab, type LabOptions, type LabRequest, PORTS, startLab } from '../../src/lab/index.js';
import { resolveLabOptions } from '../../src/lab/options.js';
import { call, jwtClaims, portState } from './call.js';

// Loopback block 127.10.0.0/16 (see test/README.md).

const dir = mkdtempSync(join(tmpdir(), 'kf-lab-'));
const ALL_PORTS = [...new Set([...Object.values(PORTS), 443, 80])];

async function withLab(options: LabOptions, body: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await startLab(options);
  try {
    await body(lab);
  } finally {
    await lab.stop();
  }
}

/** Every host's listed ports are open and every other lab port is closed: the host list is the ground truth. */
async function assertGroundTruth(lab: Lab): Promise<void> {
  for (const h of lab.hosts) {
    const listed = new Set(h.services.map((s) => s.port));
    for (const port of ALL_PORTS) {
      assert.equal(await portState(h.address, port), listed.has(port) ? 'open' : 'closed', `${h.address}:${port}`);
    }
  }
}

const layout = (lab: Lab) =>
  lab.hosts.map((h) => [h.role, h.name, h.address, h.services.map((s) => `${s.port}/${s.kind}/${s.scheme}`).join(' ')]);

describe('lab options', () => {
  it('refuses bad options with one line each', () => {
    const cases: [LabOptions, RegExp][] = [
      [{ profile: 'open' as never }, /^--profile takes one of vulnerable, default, hardened, not "open"$/],
      [
        { base: '10.0.0.2' },
        /^--base must be a loopback address in 127\.0\.0\.0\/8 \(the lab binds nowhere else\), not "10\.0\.0\.2"$/,
      ],
      [{ base: '::1' }, /^--base must be a loopback address/],
      [{ base: 'localhost' }, /^--base must be a loopback address/],
      [{ nodes: 0 }, /^--nodes takes a whole number from 1 to 16, not "0"$/],
      [{ nodes: 17 }, /^--nodes takes a whole number from 1 to 16/],
      [{ nodes: 1.5 }, /^--nodes takes a whole number/],
      [{ etcd: 'sometimes' as never }, /^--etcd takes one of auto, real, simulated, off/],
      [{ base: '127.255.255.250', nodes: 8 }, /the lab needs 9 addresses inside 127\.0\.0\.1-127\.255\.255\.254/],
      [{ version: '1.2' }, /^version "1\.2" is not a Kubernetes version like v1\.32\.4$/],
      [{ namespaceTerminationMs: -1 }, /^namespaceTerminationMs takes a number of milliseconds, not "-1"$/],
      [{ nodeOs: 'darwin' as never }, /^--node-os takes one of linux, windows, not "darwin"$/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => resolveLabOptions(options),
        (err: Error) => err instanceof UsageError && message.test(err.message),
        JSON.stringify(options),
      );
    }
    assert.deepEqual(
      { ...resolveLabOptions({ etcd: 'off' }), etcdBinary: undefined },
      {
        profile: 'vulnerable',
        nodes: 2,
        base: '127.0.0.2',
        log: undefined,
        etcd: 'off',
        etcdBinary: undefined,
        hostile: false,
        nodeLocalDns: false,
        version: undefined,
        namespaceTerminationMs: 0,
        nodeOs: 'linux',
      },
    );
  });
});

describe('lab hosts: the ground truth of discovery', () => {
  it('lists what the vulnerable profile runs, and nothing else listens', async () => {
    await withLab({ base: '127.10.1.2', etcd: 'simulated' }, async (lab) => {
      assert.deepEqual(layout(lab), [
        [
          'control-plane',
          'lab-control-plane',
          '127.10.1.2',
          '8080/apiserver/http 6443/apiserver/https 2379/etcd/http 2380/etcd/http 10257/controller-manager/https 10259/scheduler/https 8001/kubectl-proxy/http 30000/dashboard/http',
        ],
        [
          'node',
          'lab-node-1',
          '127.10.1.3',
          '10250/kubelet/https 10255/kubelet-readonly/http 10256/kube-proxy/http 10249/kube-proxy/http 4194/cadvisor/http',
        ],
        [
          'node',
          'lab-node-2',
          '127.10.1.4',
          '10250/kubelet/https 10255/kubelet-readonly/http 10256/kube-proxy/http 10249/kube-proxy/http',
        ],
      ]);
      await assertGroundTruth(lab);
    });
  });

  it('lists what the default and hardened profiles run', async () => {
    for (const [profile, base] of [
      ['default', '127.10.2.2'],
      ['hardened', '127.10.3.2'],
    ] as const) {
      await withLab({ base, profile, etcd: 'simulated', nodes: 1 }, async (lab) => {
        const node = base.replace(/2$/, '3');
        assert.deepEqual(layout(lab), [
          [
            'control-plane',
            'lab-control-plane',
            base,
            '6443/apiserver/https 2379/etcd/https 2380/etcd/https 10257/controller-manager/https 10259/scheduler/https',
          ],
          ['node', 'lab-node-1', node, '10250/kubelet/https 10256/kube-proxy/http'],
        ]);
        await assertGroundTruth(lab);
      });
    }
  });
});

describe('lab credentials', () => {
  it('issues JWT-shaped service-account tokens and CA-signed client certificates', async () => {
    await withLab({ base: '127.10.4.2', etcd: 'off', nodes: 1, profile: 'default' }, async (lab) => {
      assert.deepEqual(Object.keys(lab.credentials).sort(), [...IDENTITY_NAMES].sort());
      for (const name of ['admin', 'reader', 'nobody', 'deployer'] as const) {
        const id = lab.credentials[name];
        assert.equal(id.kind, 'token');
        const [head, , signature] = id.token!.split('.');
        assert.match(id.token!, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        const header = JSON.parse(Buffer.from(head, 'base64url').toString());
        assert.equal(header.alg, 'RS256');
        assert.match(header.kid, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(Buffer.from(signature, 'base64url').length, 256);
        const claims = jwtClaims(id.token!);
        assert.equal(claims.iss, 'kubernetes/serviceaccount');
        assert.equal(claims['kubernetes.io/serviceaccount/service-account.name'], id.serviceAccount!.name);
        assert.equal(claims.sub, id.user);
        assert.ok(id.can.length > 10);
      }
      const ca = new X509Certificate(lab.ca);
      for (const name of ['kubernetes-admin', 'jane'] as const) {
        const cert = new X509Certificate(lab.credentials[name].clientCert!);
        assert.ok(cert.verify(ca.publicKey), 'signed by the lab CA');
        assert.equal(cert.issuer, 'CN=kubernetes');
        assert.match(cert.subject, new RegExp(`^CN=${name}\\nO=`));
        assert.match(lab.credentials[name].clientKey!, /^-----BEGIN PRIVATE KEY-----\n/);
      }
      assert.equal(lab.can('nobody', { verb: 'list', group: '', resource: 'pods', namespace: 'default' }), false);
      assert.equal(lab.can('deployer', { verb: 'create', group: '', resource: 'pods', namespace: 'dev' }), true);
      assert.equal(lab.can('deployer', { verb: 'create', group: '', resource: 'pods', namespace: 'default' }), false);
      assert.equal(lab.can('anonymous', { verb: 'get', path: '/version' }), true);
      assert.equal(lab.can('anonymous', { verb: 'get', path: '/api' }), false);
      const r = await call(`${lab.apiServer}/api/v1/namespaces/default/pods`, { token: lab.credentials.nobody.token });
      assert.equal(r.status, 403, 'the API server agrees with lab.can');
    });
  });

  it('writes kubeconfigs and pod service-account files that work', async () => {
    await withLab({ base: '127.10.5.2', etcd: 'off', nodes: 1, profile: 'default' }, async (lab) => {
      const file = join(dir, 'deployer.kubeconfig');
      const text = lab.kubeconfig('deployer', file);
      assert.equal(readFileSync(file, 'utf8'), text);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const config = YAML.parse(text);
      assert.equal(config.clusters[0].cluster.server, 'https://127.10.5.2:6443');
      assert.equal(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), lab.ca);
      assert.equal(config.users[0].user.token, lab.credentials.deployer.token);
      assert.equal(config.contexts[0].context.namespace, 'dev');
      assert.equal(config['current-context'], 'deployer@lab');
      const certConfig = YAML.parse(lab.kubeconfig('jane'));
      assert.equal(
        Buffer.from(certConfig.users[0].user['client-key-data'], 'base64').toString(),
        lab.credentials.jane.clientKey,
      );

      const pod = lab.podFiles(join(dir, 'sa'), 'logging/log-collector');
      assert.equal(readFileSync(join(dir, 'sa', 'namespace'), 'utf8'), 'logging');
      assert.equal(readFileSync(join(dir, 'sa', 'ca.crt'), 'utf8'), lab.ca);
      const token = readFileSync(join(dir, 'sa', 'token'), 'utf8');
      assert.equal(token, pod.token);
      const claims = jwtClaims(token) as {
        sub: string;
        aud: string[];
        'kubernetes.io': { serviceaccount: { name: string } };
      };
      assert.equal(claims.sub, 'system:serviceaccount:logging:log-collector');
      assert.equal(claims['kubernetes.io'].serviceaccount.name, 'log-collector');
      assert.deepEqual(pod.env, { KUBERNETES_SERVICE_HOST: '127.10.5.2', KUBERNETES_SERVICE_PORT: '6443' });
      const who = await call(
        `https://${pod.env.KUBERNETES_SERVICE_HOST}:${pod.env.KUBERNETES_SERVICE_PORT}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
        {
          method: 'POST',
          token,
          ca: readFileSync(join(dir, 'sa', 'ca.crt'), 'utf8'),
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        },
      );
      assert.equal(who.status, 201, who.text);
      assert.equal(who.json.status.userInfo.username, 'system:serviceaccount:logging:log-collector');
      assert.throws(() => lab.podFiles(join(dir, 'x'), 'default/ghost'), /no service account default\/ghost/);
    });
  });

  it('lists every secret value it holds, for leak checks', async () => {
    await withLab({ base: '127.10.6.2', etcd: 'off', nodes: 1 }, async (lab) => {
      const values = lab.secretValues();
      assert.ok(values.includes(lab.credentials.admin.token!));
      assert.ok(values.includes(lab.credentials.jane.clientKey!));
      assert.ok(values.includes(lab.etcdClientCert.key));
      const secrets = await call('http://127.10.6.2:8080/api/v1/secrets');
      for (const s of secrets.json.items as { data: Record<string, string> }[]) {
        for (const [k, v] of Object.entries(s.data)) {
          const plain = Buffer.from(v, 'base64').toString();
          if (['token', 'password', 'token-secret', '.dockerconfigjson'].includes(k))
            assert.ok(values.includes(plain), k);
        }
      }
      assert.ok(!values.includes(lab.ca), 'the CA certificate is public');
      assert.ok(!values.includes('system:bootstrappers:kubeadm:default-node-token'), 'so are group names');
      assert.ok(values.every((v) => v.length >= 8));
    });
  });
});

describe('lab lifecycle', () => {
  it('stops everything, more than once without harm', async () => {
    const lab = await startLab({ base: '127.10.7.2', etcd: 'simulated', nodes: 1, hostile: true });
    assert.equal(await portState('127.10.7.2', 6443), 'open');
    await lab.stop();
    await lab.stop();
    for (const h of lab.hosts) for (const s of h.services) assert.equal(await portState(h.address, s.port), 'closed');
    assert.equal(await portState(lab.outside!.address, lab.outside!.port), 'closed');
  });

  it('refuses an address already in use in one line and leaves nothing open', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(6443, '127.10.8.2', r));
    try {
      await assert.rejects(startLab({ base: '127.10.8.2', etcd: 'simulated', nodes: 1 }), (err: Error) => {
        return err instanceof UsageError && err.message === '127.10.8.2:6443 is already in use';
      });
      assert.equal(await portState('127.10.8.2', 8080), 'closed');
      assert.equal(await portState('127.10.8.3', 10250), 'closed');
    } finally {
      blocker.close();
    }
  });

  it('writes the request log as JSON lines to a file', async () => {
    const file = join(dir, 'requests.jsonl');
    await withLab({ base: '127.10.9.2', etcd: 'off', nodes: 1, log: file }, async (lab) => {
      await call('http://127.10.9.2:8080/version?x=1');
      await call('https://127.10.9.3:10250/pods');
      // The log records an exchange once the server has sent it all, which the node's list of pods (a
      // streamed answer) may outlast on the client's side: wait for its entry.
      for (let i = 0; i < 100 && lab.requests.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LabRequest);
      assert.deepEqual(lines, lab.requests);
      assert.deepEqual(
        lines.map((l) => [l.host, l.port, l.component, l.method, l.path, l.identity, l.status]),
        [
          ['127.10.9.2', 8080, 'kube-apiserver', 'GET', '/version?x=1', 'system:unsecured', 200],
          ['127.10.9.3', 10250, 'kubelet', 'GET', '/pods', 'system:anonymous', 200],
        ],
      );
      assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))));
    });
    await assert.rejects(
      startLab({ base: '127.10.9.2', etcd: 'off', log: join(dir, 'no', 'such', 'dir.jsonl') }),
      /^UsageError: cannot write log file/,
    );
  });

  it('reports any Kubernetes version it is given', async () => {
    await withLab(
      { base: '127.10.10.2', etcd: 'off', nodes: 1, profile: 'default', version: 'v1.28.3' },
      async (lab) => {
        assert.equal((await call(`${lab.apiServer}/version`)).json.gitVersion, 'v1.28.3');
        const apis = await call(`${lab.apiServer}/apis`, {
          token: lab.credentials.reader.token,
          headers: {
            accept:
              'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
          },
        });
        assert.equal(apis.json.apiVersion, 'apidiscovery.k8s.io/v2beta1', 'v2 arrived in 1.30');
        const nodes = await call(`${lab.apiServer}/api/v1/nodes`, { token: lab.credentials.admin.token });
        assert.equal(nodes.json.items[0].status.nodeInfo.kubeletVersion, 'v1.28.3');
      },
    );
  });
});
