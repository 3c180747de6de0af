import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Lab, type LabOptions, startLab } from '../../src/lab/index.js';
import { type CliRun, runProcess } from '../helpers/cli.js';
import { hasCommand, requireComponent } from '../helpers/components.js';

// The lab's kubectl conformance table: the real kubectl (v1.32) against every profile, one lab each, with
// the admin kubeconfig (and the reader's where a refusal is the point). Each row says what kubectl must
// exit with and print; where the lab knowingly differs from a real server, `differs` says how and why.
// Loopback block 127.19.0.0/16, one /24 per lab (see test/README.md).

interface Target {
  name: string;
  options: LabOptions;
  minor: number;
}

const TARGETS: Target[] = [
  { name: 'vulnerable v1.16', options: { profile: 'vulnerable', base: '127.19.0.2' }, minor: 16 },
  { name: 'default v1.32', options: { profile: 'default', base: '127.19.1.2' }, minor: 32 },
  { name: 'hardened v1.32', options: { profile: 'hardened', base: '127.19.2.2' }, minor: 32 },
  { name: 'default v1.28', options: { profile: 'default', base: '127.19.3.2', version: 'v1.28.3' }, minor: 28 },
];

interface Row {
  args: string[];
  /** Run as the reader identity instead of admin. */
  as?: 'reader';
  /** Only on labs of these minor versions (inclusive range). */
  minors?: [number, number];
  /** Expected exit code: 0 unless given. */
  code?: number | ((t: Target) => number);
  stdout?: RegExp | ((t: Target) => RegExp);
  stderr?: RegExp;
  check?: (r: CliRun, t: Target) => void;
  /** Where the lab knowingly answers otherwise than a real server, and why. */
  differs?: string;
}

const NS = 'kf-conf';
const lines = (s: string) => s.trim().split('\n');

const DEPLOYMENT = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: ${NS}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: "${image}", ports: [{containerPort: 8080}], env: [{name: MODE, value: lab}]}
`;
const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata: {name: applied, namespace: ${NS}}
data: {owner: server-side}
`;
const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.conformance.example}
spec:
  group: conformance.example
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`;
const CSR = `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: conformance-csr}
spec:
  request: ${Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n').toString('base64')}
  signerName: kubernetes.io/kube-apiserver-client
  usages: [client auth]
`;
const GADGET = `apiVersion: conformance.example/v1
kind: Gadget
metadata: {name: g1, namespace: ${NS}}
spec: {size: 3}
`;

const files = mkdtempSync(join(tmpdir(), 'kf-conformance-'));
const file = (name: string, text: string) => {
  const path = join(files, name);
  writeFileSync(path, text);
  return path;
};
const DEP_V1 = file('deployment-v1.yaml', DEPLOYMENT('nginx:1.25'));
const DEP_V2 = file('deployment-v2.yaml', DEPLOYMENT('nginx:1.26'));
const CM = file('configmap.yaml', CONFIGMAP);
const CRD_FILE = file('crd.yaml', CRD);
const GADGET_FILE = file('gadget.yaml', GADGET);
const GADGET_BIGGER = file('gadget-bigger.yaml', GADGET.replace('size: 3', 'size: 5'));
const CSR_FILE = file('csr.yaml', CSR);

/** The table, run in order on each lab (later rows build on earlier ones). */
const TABLE: Row[] = [
  // Reading.
  { args: ['version'], stdout: (t) => new RegExp(`^Server Version: v1\\.${t.minor}\\.`, 'm') },
  { args: ['api-versions'], stdout: /^apps\/v1$/m },
  {
    args: ['api-resources'],
    check: (r, t) => {
      const names = lines(r.stdout).map((l) => l.split(/\s+/)[0]);
      const expected = [
        'replicasets',
        'statefulsets',
        'jobs',
        'cronjobs',
        'persistentvolumes',
        'persistentvolumeclaims',
        'storageclasses',
        'customresourcedefinitions',
        'validatingwebhookconfigurations',
        'mutatingwebhookconfigurations',
        'leases',
        'events',
        'certificatesigningrequests',
        'priorityclasses',
        'horizontalpodautoscalers',
      ];
      if (t.minor >= 17) expected.push('endpointslices');
      if (t.minor <= 24) expected.push('podsecuritypolicies');
      for (const n of expected) assert.ok(names.includes(n), `api-resources lists ${n}`);
      if (t.minor > 24) assert.ok(!names.includes('podsecuritypolicies'), 'no PodSecurityPolicy after 1.24');
      assert.equal(names.includes('selfsubjectreviews'), t.minor >= 28);
    },
  },
  { args: ['cluster-info'], stdout: /Kubernetes control plane is running at https:\/\/127\.19\.\d\.2:6443/ },
  { args: ['get', 'nodes'], stdout: /^lab-node-1\s+Ready\s/m },
  { args: ['get', 'namespaces'], stdout: /^kube-system\s+Active\s/m },
  { args: ['get', 'pods', '-A'], stdout: /^default\s+web-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running\s/m },
  { args: ['get', 'pods', '-A', '-o', 'wide'], stdout: /\sIP\s+NODE\s/ },
  { args: ['get', 'services', '-n', 'default'], stdout: /^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s/m },
  { args: ['get', 'deployments', '-A'], stdout: /^kube-system\s+coredns\s+2\/2\s/m },
  { args: ['get', 'replicasets', '-A'], stdout: /^kube-system\s+coredns-[a-z0-9]+\s+2\s+2\s+2\s/m },
  { args: ['get', 'daemonsets', '-A'], stdout: /^kube-system\s+kube-proxy\s/m },
  { args: ['get', 'secrets', '-n', 'dev'], stdout: /^registry-credentials\s+kubernetes\.io\/dockerconfigjson\s/m },
  { args: ['get', 'serviceaccounts', '-n', 'default'], stdout: /^default\s/m },
  { args: ['get', 'clusterroles'], stdout: /^cluster-admin\s/m },
  { args: ['get', 'clusterrolebindings', 'cluster-admin'], stdout: /ClusterRole\/cluster-admin/ },
  {
    args: ['get', 'persistentvolumes'],
    stdout: /^local-data-lab-node-1\s+10Gi\s+RWO\s+Retain\s+Bound\s+default\/data\s/m,
  },
  { args: ['get', 'pvc', '-n', 'default'], stdout: /^data\s+Bound\s+local-data-lab-node-1\s/m },
  { args: ['get', 'storageclasses'], stdout: /^local\s+kubernetes\.io\/no-provisioner\s/m },
  { args: ['get', 'priorityclasses'], stdout: /^system-node-critical\s+2000001000\s/m },
  { args: ['get', 'leases', '-n', 'kube-node-lease'], stdout: /^lab-node-1\s+lab-node-1\s/m },
  { args: ['get', 'endpoints', 'kubernetes', '-n', 'default'], stdout: /:6443\s/ },
  { args: ['describe', 'node', 'lab-node-1'], stdout: /^Name:\s+lab-node-1$/m },
  { args: ['describe', 'deployment', 'coredns', '-n', 'kube-system'], stdout: /^Replicas:\s+2 desired/m },
  {
    args: ['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '-o', 'jsonpath={.items[*].spec.nodeName}'],
    stdout: /^lab-node-1$/,
  },
  {
    args: ['get', 'namespace', 'default', '-o', 'json'],
    check: (r) => assert.equal(JSON.parse(r.stdout).metadata.name, 'default'),
  },
  { args: ['get', 'namespace', 'default', '-o', 'yaml'], stdout: /^ {2}name: default$/m },
  { args: ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=lab-node-1'], stdout: /kube-proxy-/ },
  {
    args: ['get', 'pods', '-A', '--chunk-size=2'],
    check: (r) => assert.ok(lines(r.stdout).length > 3, 'every page is printed'),
  },
  { args: ['get', '--raw', '/healthz'], stdout: /^ok$/ },
  { args: ['get', '--raw', '/version'], stdout: /"gitVersion"/ },
  { args: ['get', '--raw', '/api/v1/namespaces/default/services/kubernetes'], stdout: /"kind":"Service"/ },
  { args: ['get', '--raw', '/openapi/v3'], minors: [27, 99], stdout: /"apis\/apps\/v1"/ },
  {
    args: ['get', '--raw', '/openapi/v3'],
    minors: [0, 26],
    code: 1,
    stderr: /NotFound|could not find/,
  },
  { args: ['explain', 'pod.spec.hostPID'], stdout: /hostPID\s*<boolean>/ },
  {
    args: ['explain', 'deployment.spec.template.spec.containers'],
    stdout: /containers\s*<\[\](Container|Object)>/,
    differs: 'descriptions are empty: the lab builds OpenAPI from protobuf schemas, which carry no documentation',
  },
  { args: ['auth', 'can-i', 'create', 'pods'], stdout: /^yes$/ },
  { args: ['auth', 'can-i', '*', '*', '--all-namespaces'], stdout: /^yes$/ },
  { args: ['auth', 'can-i', '--list', '-n', 'default'], stdout: /^Resources\s+Non-Resource URLs/ },
  { args: ['auth', 'can-i', 'list', 'secrets', '-n', 'default'], as: 'reader', code: 1, stdout: /^no$/ },
  { args: ['get', 'pods', '-n', 'default'], as: 'reader', stdout: /^web-/m },
  { args: ['get', 'secrets', '-n', 'default'], as: 'reader', code: 1, stderr: /Forbidden|forbidden/ },
  {
    args: ['auth', 'whoami'],
    minors: [28, 99],
    stdout: /^Username\s+system:serviceaccount:kube-system:lab-admin$/m,
  },
  { args: ['auth', 'whoami'], minors: [0, 27], code: 1, stderr: /not enabled|could not find|NotFound/ },
  { args: ['logs', 'deployment/web', '-n', 'default'], stdout: /nginx/ },
  {
    args: ['exec', 'deployment/web', '-n', 'default', '--', 'id'],
    code: 1,
    stderr: /Upgrade request required/,
    differs: 'exec, attach and port-forward fail: the lab does not stream (no SPDY or WebSocket upgrade)',
  },
  { args: ['top', 'nodes'], code: 1, stderr: /Metrics API not available/ },
  // Writing.
  { args: ['create', 'namespace', NS], stdout: new RegExp(`^namespace/${NS} created$`) },
  { args: ['label', 'namespace', NS, 'team=conformance'], stdout: /labeled$/ },
  { args: ['annotate', 'namespace', NS, 'note=kept'], stdout: /annotated$/ },
  { args: ['get', 'namespace', NS, '--show-labels'], stdout: /team=conformance/ },
  { args: ['create', 'configmap', 'c1', '--from-literal=k=v', '-n', NS], stdout: /configmap\/c1 created/ },
  { args: ['create', 'secret', 'generic', 's1', '--from-literal=p=q', '-n', NS], stdout: /secret\/s1 created/ },
  { args: ['get', 'secret', 's1', '-n', NS, '-o', 'jsonpath={.data.p}'], stdout: /^cQ==$/ },
  { args: ['create', 'serviceaccount', 'robot', '-n', NS], stdout: /serviceaccount\/robot created/ },
  { args: ['create', 'token', 'robot', '-n', NS], stdout: /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/ },
  {
    args: ['create', 'role', 'r1', '--verb=get', '--resource=pods', '-n', NS],
    stdout: /role\.rbac\.authorization\.k8s\.io\/r1 created/,
  },
  {
    args: ['create', 'rolebinding', 'rb1', '--role=r1', `--serviceaccount=${NS}:robot`, '-n', NS],
    stdout: /rolebinding\.rbac\.authorization\.k8s\.io\/rb1 created/,
  },
  { args: ['create', 'deployment', 'shop', '--image=nginx:1.25', '--replicas=2', '-n', NS], stdout: /created/ },
  {
    args: ['get', 'pods', '-n', NS, '-l', 'app=shop', '--no-headers'],
    check: (r) => assert.equal(lines(r.stdout).length, 2, 'the Deployment made its ReplicaSet and two pods'),
  },
  { args: ['run', 'solo', '--image=nginx', '--port=80', '-n', NS], stdout: /pod\/solo created/ },
  { args: ['expose', 'pod', 'solo', '--port=80', '-n', NS], stdout: /service\/solo exposed/ },
  { args: ['get', 'service', 'solo', '-n', NS], stdout: /^solo\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP\s/m },
  {
    args: [
      'create',
      'secret',
      'docker-registry',
      'reg',
      '--docker-server=registry.invalid',
      '--docker-username=u',
      '--docker-password=p',
      '-n',
      NS,
    ],
    stdout: /secret\/reg created/,
  },
  { args: ['cordon', 'lab-node-1'], stdout: /node\/lab-node-1 cordoned/ },
  { args: ['get', 'node', 'lab-node-1'], stdout: /^lab-node-1\s+Ready,SchedulingDisabled\s/m },
  { args: ['uncordon', 'lab-node-1'], stdout: /node\/lab-node-1 uncordoned/ },
  { args: ['delete', 'pod', 'solo', '-n', NS], stdout: /pod "solo" deleted/ },
  { args: ['apply', '-f', DEP_V1], stdout: /deployment\.apps\/api created/ },
  { args: ['apply', '-f', DEP_V2], stdout: /deployment\.apps\/api configured/ },
  {
    args: [
      'get',
      'deployment',
      'api',
      '-n',
      NS,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].value}',
    ],
    stdout: /^nginx:1\.26 lab$/,
  },
  {
    args: ['get', 'replicasets', '-n', NS, '-l', 'app=api', '--no-headers'],
    check: (r) => assert.equal(lines(r.stdout).length, 2, 'the new template made a new ReplicaSet'),
  },
  {
    args: ['patch', 'deployment', 'api', '-n', NS, '--type=merge', '-p', '{"spec":{"replicas":1}}'],
    stdout: /patched/,
  },
  {
    args: [
      'patch',
      'deployment',
      'api',
      '-n',
      NS,
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":3}]',
    ],
    stdout: /patched/,
  },
  {
    args: [
      'patch',
      'deployment',
      'api',
      '-n',
      NS,
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"api","image":"nginx:1.27"}]}}}}',
    ],
    stdout: /patched/,
  },
  {
    args: [
      'get',
      'deployment',
      'api',
      '-n',
      NS,
      '-o',
      'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort}',
    ],
    stdout: /^3 8080$/,
  },
  { args: ['scale', 'deployment', 'api', '-n', NS, '--replicas=1'], stdout: /scaled/ },
  { args: ['set', 'image', 'deployment/api', 'api=nginx:1.28', '-n', NS], stdout: /image updated/ },
  { args: ['rollout', 'status', 'deployment/api', '-n', NS, '--timeout=10s'], stdout: /successfully rolled out/ },
  {
    args: ['get', 'pods', '-n', NS, '-l', 'app=api', '--no-headers'],
    check: (r) => assert.equal(lines(r.stdout).length, 1),
  },
  { args: ['create', '-f', DEP_V1, '--dry-run=server'], code: 1, stderr: /AlreadyExists|already exists/ },
  { args: ['apply', '-f', DEP_V2, '--dry-run=server'], stdout: /\(server dry run\)/ },
  {
    args: ['apply', '--server-side', '-f', CM],
    stdout: /configmap\/applied serverside-applied/,
    differs: 'server-side apply tracks no field managers: it never reports conflicts',
  },
  { args: ['get', 'configmap', 'applied', '-n', NS, '-o', 'jsonpath={.data.owner}'], stdout: /^server-side$/ },
  {
    args: ['apply', '-f', CRD_FILE],
    stdout: /customresourcedefinition\.apiextensions\.k8s\.io\/gadgets\.conformance\.example created/,
  },
  { args: ['apply', '-f', GADGET_FILE], stdout: /gadget\.conformance\.example\/g1 created/ },
  { args: ['get', 'gadgets', '-n', NS], stdout: /^g1\s/m },
  { args: ['apply', '-f', GADGET_BIGGER], stdout: /gadget\.conformance\.example\/g1 configured/ },
  { args: ['get', 'gd', 'g1', '-n', NS, '-o', 'jsonpath={.spec.size}'], stdout: /^5$/ },
  { args: ['get', 'all', '-n', NS], stdout: /^deployment\.apps\/api\s+1\/1\s/m },
  { args: ['explain', 'gadget.spec.size'], stdout: /size\s*<integer>/ },
  { args: ['apply', '-f', CSR_FILE], minors: [19, 99], stdout: /certificatesigningrequest.* created/ },
  {
    args: ['certificate', 'approve', 'conformance-csr'],
    minors: [19, 99],
    stdout: /approved/,
    differs: 'an approved request is never signed: the lab runs no signer, so no certificate appears',
  },
  { args: ['get', 'csr', 'conformance-csr'], minors: [19, 99], stdout: /Approved/ },
  {
    args: ['autoscale', 'deployment', 'api', '-n', NS, '--min=1', '--max=3'],
    stdout: /horizontalpodautoscaler\.autoscaling\/api autoscaled/,
    differs: "the HPA reports the target's replicas but never scales: the lab has no metrics",
  },
  { args: ['create', 'job', 'once', '--image=busybox', '-n', NS], stdout: /job\.batch\/once created/ },
  { args: ['get', 'pods', '-n', NS, '-l', 'job-name=once'], stdout: /^once-[a-z0-9]+\s+1\/1\s+Running\s/m },
  {
    args: ['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '-n', NS],
    minors: [21, 99],
    stdout: /cronjob\.batch\/nightly created/,
  },
  {
    // kubectl 1.32 creates batch/v1 CronJobs, which a 1.16 server does not serve: the real one refuses too.
    args: ['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '-n', NS],
    minors: [0, 20],
    code: 1,
    stderr: /could not find the requested resource/,
  },
  {
    args: ['get', 'configmaps', '-n', NS, '--watch', '--request-timeout=2s'],
    stdout: /^c1\s+1\s/m,
    differs: 'the watch holds no history: a resourceVersion older than now gets later changes only, never 410 Gone',
  },
  { args: ['delete', 'deployment', 'shop', '-n', NS], stdout: /deployment\.apps "shop" deleted/ },
  {
    args: ['get', 'replicasets,pods', '-n', NS, '-l', 'app=shop', '--no-headers'],
    check: (r) => assert.equal(r.stdout.trim(), '', 'its ReplicaSet and pods went with it'),
  },
  { args: ['delete', 'crd', 'gadgets.conformance.example'], stdout: /deleted/ },
  { args: ['delete', 'namespace', NS], stdout: new RegExp(`namespace "${NS}" deleted`) },
  {
    args: ['get', 'namespace', NS],
    code: 1,
    stderr: /NotFound/,
    differs: 'a deleted namespace is gone at once: a real one stays Terminating while its finalizers run',
  },
];

const home = mkdtempSync(join(tmpdir(), 'kf-conformance-home-'));

function kubectl(args: string[], kubeconfig: string): Promise<CliRun> {
  return runProcess('kubectl', args, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig }, 30_000);
}

const applies = (row: Row, t: Target) => !row.minors || (t.minor >= row.minors[0] && t.minor <= row.minors[1]);

describe('kubectl conformance table', { concurrency: TARGETS.length }, () => {
  it('has at least 50 commands for every lab', () => {
    for (const t of TARGETS) assert.ok(TABLE.filter((r) => applies(r, t)).length >= 50, t.name);
  });

  for (const target of TARGETS) {
    // One lab each, side by side; within a lab the rows run in order (they build on each other).
    describe(target.name, { concurrency: 1 }, () => {
      let lab: Lab | undefined;
      const configs: Record<string, string> = {};
      before(async () => {
        if (!hasCommand('kubectl')) return;
        lab = await startLab({ ...target.options, etcd: 'off', nodes: 1 });
        for (const who of ['admin', 'reader'] as const) {
          configs[who] = join(home, `${target.options.base}-${who}.kubeconfig`);
          lab.kubeconfig(who, configs[who]);
        }
      });
      after(() => lab?.stop());

      for (const [i, row] of TABLE.entries()) {
        if (!applies(row, target)) continue;
        const title = `${String(i + 1).padStart(2, '0')} kubectl ${row.args.join(' ')}${row.as ? ` (as ${row.as})` : ''}`;
        it(title, async (t) => {
          if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
          if (row.differs) t.diagnostic(`the lab differs: ${row.differs}`);
          const r = await kubectl(row.args, configs[row.as ?? 'admin']);
          const code = typeof row.code === 'function' ? row.code(target) : (row.code ?? 0);
          // kubectl colours some output (cluster-info) even when it is not a terminal.
          r.stdout = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
          const context = `exit ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
          assert.equal(r.code, code, context);
          const stdout = typeof row.stdout === 'function' ? row.stdout(target) : row.stdout;
          if (stdout) assert.match(r.stdout.trim(), stdout, context);
          if (row.stderr) assert.match(r.stderr, row.stderr, context);
          row.check?.(r, target);
        });
      }
    });
  }
});
