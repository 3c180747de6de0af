import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { opsFindings } from '../../../src/hunters/ops/checks.js';
import { parseCorefile, pluginsOf } from '../../../src/hunters/ops/corefile.js';
import {
  dnsFindings,
  dnsServiceUdp,
  dnsUnjudged,
  durationSeconds,
  effectiveNdots,
  kubeProxyUdpRisk,
  LARGE_CLUSTER_NODES,
} from '../../../src/hunters/ops/dns.js';
import { DNS_KB, type OpsObject } from '../../../src/hunters/ops/objects.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { assertNoSecrets, assertOnlyReads, huntApiAs, huntDiscovered, type LabHunt } from '../lab-hunt.js';

// Block 127.140.0.0/16. The DNS situations of issue 17 (src/hunters/ops/dns.ts): the pure checks, then a
// hunt of the lab as `reader` (its seeds and decoys: src/lab/seed-ops-dns.ts), then the lab behind a relay
// that makes it a cluster of 150 nodes, with and without a node-local DNS cache.

const configMap = (namespace: string, name: string, data: Record<string, string>): OpsObject => ({
  kind: 'ConfigMap',
  item: { metadata: { name, namespace }, data },
});
const deployment = (namespace: string, name: string, spec: Record<string, unknown> = {}): OpsObject => ({
  kind: 'Deployment',
  item: {
    metadata: { name, namespace },
    spec: { template: { spec: { containers: [{ name, image: `${name}:1` }], ...spec } } },
  },
});
const daemonSet = (namespace: string, name: string, nodes: number, labels: Record<string, string> = {}): OpsObject => ({
  kind: 'DaemonSet',
  item: {
    metadata: { name, namespace },
    spec: {
      template: { metadata: { labels }, spec: { hostNetwork: true, containers: [{ name, image: `${name}:1` }] } },
    },
    status: { desiredNumberScheduled: nodes },
  },
});
const node = (i: number): OpsObject => ({ kind: 'Node', item: { metadata: { name: `node-${i}` } } });

const KUBEADM_COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

describe('the Corefile parser', () => {
  it('reads server blocks, plugins with their arguments, options and lines; comments are not plugins', () => {
    const text = `# the cluster's DNS
.:53 {   # every zone
    errors
    # autopath @kubernetes   (off: it bypasses the cache)
    kubernetes cluster.local {
        pods verified
    }
    forward . "/etc/resolv.conf" 10.0.0.53:53
}
corp.example:53, lab.example:53 {
    forward . 10.20.0.53
}
`;
    const c = parseCorefile(text);
    assert.deepEqual(
      c.servers.map((s) => [s.keys, s.line]),
      [
        [['.:53'], 2],
        [['corp.example:53', 'lab.example:53'], 10],
      ],
    );
    assert.deepEqual(
      c.servers[0].directives.map((d) => [d.name, d.args, d.line]),
      [
        ['errors', [], 3],
        ['kubernetes', ['cluster.local'], 5],
        ['forward', ['.', '/etc/resolv.conf', '10.0.0.53:53'], 8],
      ],
    );
    assert.deepEqual(
      c.servers[0].directives[1].options.map((d) => [d.name, d.args, d.line]),
      [['pods', ['verified'], 6]],
    );
  });

  it('pastes snippets where a block imports them; a file import stays unresolved; {$ENV} is no block', () => {
    const c = parseCorefile(`(common) {
  cache 30
  errors
}
import custom/*.server
.:53 {
  import common
  forward . {$UPSTREAM}
}
example.org {
  import extra/*.conf
}
`);
    assert.deepEqual(c.imports, ['custom/*.server']);
    assert.deepEqual([...c.snippets.keys()], ['common']);
    const first = pluginsOf(c.servers[0], c);
    assert.deepEqual(
      first.plugins.map((d) => d.name),
      ['cache', 'errors', 'forward'],
    );
    assert.deepEqual(first.plugins[2].args, ['.', '{$UPSTREAM}']);
    assert.deepEqual(pluginsOf(c.servers[1], c).unresolved, ['extra/*.conf']);
  });

  it('is lenient with what a person cuts or unbalances, and a Corefile without braces is one block', () => {
    assert.deepEqual(
      parseCorefile('.:53 {\n  cache\n').servers.map((s) => s.directives.map((d) => d.name)),
      [['cache']],
    );
    assert.deepEqual(
      parseCorefile('}\n.:53 {\n  errors\n}\n}\n').servers.map((s) => s.keys),
      [['.:53']],
    );
    const bare = parseCorefile('.:53\nwhoami\nlog\n');
    assert.deepEqual(
      bare.servers.map((s) => [s.keys, s.directives.map((d) => d.name)]),
      [[['.:53'], ['whoami', 'log']]],
    );
    assert.deepEqual(parseCorefile('').servers, []);
    // Nesting a hostile ConfigMap could hold (a megabyte of braces) costs no stack; what follows is read.
    const deep = parseCorefile(`.:53 {\n${'{ '.repeat(300_000)}\n${'} '.repeat(300_000)}\n cache\n}\n`);
    assert.deepEqual(
      deep.servers[0].directives.map((d) => d.name),
      ['cache'],
    );
    const nested = parseCorefile(`.:53 {\n${'a {\n'.repeat(50_000)}${'}\n'.repeat(50_000)} cache\n}\n`);
    assert.deepEqual(
      nested.servers[0].directives.map((d) => d.name),
      ['a', 'cache'],
    );
    // Snippets importing snippets without end: bounded, said as unresolved.
    const chain = Array.from(
      { length: 20_000 },
      (_, i) => `(s${i}) {\n  import s${i + 1}\n  import s${i + 1}\n}\n`,
    ).join('');
    const chained = parseCorefile(`${chain}.:53 {\n  import s0\n}\n`);
    assert.ok(pluginsOf(chained.servers[0], chained).unresolved.length > 0);
    // Garbage of braces, quotes and comments never throws.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const alphabet = ['{', '}', '"', '`', '#', '\n', ' ', 'a', '.:53', 'import', '(s)', '\\'];
    for (let n = 0; n < 200; n++) {
      const text = Array.from({ length: 200 }, () => alphabet[next() % alphabet.length]).join('');
      assert.doesNotThrow(() => dnsFindings([configMap('x', 'g', { Corefile: text })], 'live'), text);
    }
    assert.deepEqual(parseCorefile('.:53 { forward . "unterminated').servers[0].directives[0].args, [
      '.',
      'unterminated',
    ]);
  });
});

describe('KF-OPS-006: Corefiles with autopath or a server block without cache', () => {
  it('reports autopath (with pods verified) and a forwarding block without cache, once per ConfigMap, at the first line', () => {
    const corefile = `.:53 {
    errors
    kubernetes cluster.local {
        pods verified
    }
    autopath @kubernetes
    forward . /etc/resolv.conf
    cache 30
}
corp.example:53 {
    forward . 10.20.0.53
}
`;
    const found = dnsFindings([configMap('kube-system', 'coredns', { Corefile: corefile })], 'live');
    assert.deepEqual(
      found.map((f) => [f.kb, f.where, f.valueLine]),
      [[DNS_KB.corefile, 'kube-system/ConfigMap/coredns', 6]],
    );
    assert.match(
      found[0].detail,
      /server block \.:53 \(line 1\): autopath @kubernetes \(line 6\).*pods verified \(line 4\)/,
    );
    assert.match(
      found[0].detail,
      /server block corp\.example:53 \(line 10\): no cache, every query forwarded to 10\.20\.0\.53/,
    );
  });

  it("kubeadm's default, a commented-out autopath, a cache from a snippet and a file import are not reported", () => {
    const objects = [
      configMap('kube-system', 'coredns', { Corefile: KUBEADM_COREFILE }),
      configMap('edge', 'dns', { Corefile: '.:53 {\n  # autopath @kubernetes\n  forward . 10.0.0.1\n  cache\n}\n' }),
      configMap('edge', 'snippet', { Corefile: '(c) {\n cache 10\n}\n.:53 {\n import c\n forward . 10.0.0.1\n}\n' }),
      configMap('edge', 'custom', {
        Corefile: '.:53 {\n import /etc/coredns/custom/*.override\n forward . 10.0.0.1\n}\n',
      }),
      configMap('edge', 'not-dns', { 'app.conf': 'autopath: yes\n' }),
    ];
    assert.deepEqual(dnsFindings(objects, 'live'), []);
    // Not judged is said: the block whose cache may come from the file it imports.
    assert.deepEqual(
      dnsUnjudged(objects).map((u) => [u.where, u.detail]),
      [
        [
          'edge/ConfigMap/custom',
          'Corefile not judged fully: whether server block .:53 (line 1) caches: it imports /etc/coredns/custom/*.override',
        ],
      ],
    );
  });

  it('a Corefile importing server blocks from files says they were not judged; one with its own cache is judged', () => {
    const aks = configMap('kube-system', 'coredns', {
      Corefile:
        '.:53 {\n  errors\n  forward . /etc/resolv.conf\n  cache 30\n  import custom/*.override\n}\nimport custom/*.server\n',
    });
    assert.deepEqual(dnsFindings([aks], 'live'), []);
    assert.deepEqual(
      dnsUnjudged([aks]).map((u) => u.detail),
      ['Corefile not judged fully: the server blocks it imports (custom/*.server)'],
    );
    assert.deepEqual(dnsUnjudged([configMap('kube-system', 'coredns', { Corefile: KUBEADM_COREFILE })]), []);
  });
});

describe('KF-OPS-007: workloads that keep ndots:5, one finding per namespace', () => {
  it('the effective ndots follows the pod DNS policy as the kubelet writes resolv.conf', () => {
    assert.equal(effectiveNdots({ containers: [] }), 5);
    assert.equal(effectiveNdots({ containers: [], dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }), 5);
    assert.equal(effectiveNdots({ containers: [], hostNetwork: true }), undefined, 'falls back to the node');
    assert.equal(effectiveNdots({ containers: [], dnsPolicy: 'Default' }), undefined);
    assert.equal(effectiveNdots({ containers: [], dnsPolicy: 'None' }), 1);
    assert.equal(effectiveNdots({ containers: [], dnsConfig: { options: [{ name: 'ndots', value: '2' }] } }), 2);
    assert.equal(effectiveNdots({ containers: [], dnsConfig: { options: [{ name: 'ndots', value: 'x' }] } }), 5);
  });

  it('counts workloads and running pods per namespace with a sample; tuned namespaces are not reported', () => {
    const pods = Array.from({ length: 3 }, (_, i) => ({
      kind: 'Pod',
      item: {
        metadata: { name: `api-${i}`, namespace: 'shop', ownerReferences: [{ kind: 'ReplicaSet', name: 'api-1' }] },
        spec: { containers: [{ name: 'api' }] },
      },
    }));
    const objects: OpsObject[] = [
      deployment('shop', 'api'),
      deployment('shop', 'cart', { dnsConfig: { options: [{ name: 'ndots', value: '5' }] } }),
      deployment('shop', 'tuned', { dnsConfig: { options: [{ name: 'ndots', value: '1' }] } }),
      ...pods,
      deployment('edge', 'proxy', { dnsConfig: { options: [{ name: 'ndots', value: '2' }] } }),
      deployment('edge', 'host', { hostNetwork: true }),
      {
        kind: 'Pod',
        item: {
          metadata: { name: 'x-1', namespace: 'jobs', ownerReferences: [{ kind: 'Job', name: 'x' }] },
          spec: { containers: [{ name: 'x' }] },
        },
      },
    ];
    const found = dnsFindings(objects, 'live');
    assert.deepEqual(
      found.map((f) => [f.kb, f.where]),
      [
        [DNS_KB.ndots, 'namespace shop'],
        [DNS_KB.ndots, 'namespace jobs'],
      ],
    );
    // Pods whose controllers were not read (no right to list them) are named by their owners.
    assert.match(found[1].detail, /^1 workload \(1 pod running\) whose pods .*; Job\/x \(not read\)$/);
    assert.match(
      found[0].detail,
      /^2 workloads \(3 pods running\) whose pods resolve with ndots 5 .*Deployment\/api, Deployment\/cart$/,
    );
  });
});

describe('KF-OPS-008: kube-proxy in IPVS mode with the kernel UDP expiry', () => {
  const config = (extra: string) =>
    `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16\n${extra}`;

  it('reads Go durations', () => {
    assert.equal(durationSeconds('10s'), 10);
    assert.equal(durationSeconds('1m30s'), 90);
    assert.equal(durationSeconds('250ms'), 0.25);
    assert.equal(durationSeconds('0s'), 0);
    assert.equal(durationSeconds('0'), 0);
    assert.equal(durationSeconds('ten'), undefined);
    assert.equal(durationSeconds('10x'), undefined);
  });

  it('ipvs with udpTimeout unset, 0s, too long or garbage is reported at the mode line; tuned ipvs and iptables are not', () => {
    assert.match(
      kubeProxyUdpRisk(config('mode: ipvs\n'))?.detail ?? '',
      /^mode ipvs with ipvs\.udpTimeout unset, so the kernel keeps UDP entries 300 s/,
    );
    assert.equal(kubeProxyUdpRisk(config('mode: ipvs\n'))?.line, 4);
    assert.match(
      kubeProxyUdpRisk(config('mode: "ipvs"\nipvs:\n  udpTimeout: 0s\n'))?.detail ?? '',
      /udpTimeout 0s, so/,
    );
    assert.match(
      kubeProxyUdpRisk(config('mode: ipvs\nipvs:\n  udpTimeout: 5m\n'))?.detail ?? '',
      /udpTimeout 5m \(beyond 30 s\)/,
    );
    assert.match(kubeProxyUdpRisk(config('mode: ipvs\nipvs:\n  udpTimeout: soon\n'))?.detail ?? '', /not a duration/);
    assert.equal(kubeProxyUdpRisk(config('mode: ipvs\nipvs:\n  udpTimeout: 10s\n')), undefined);
    assert.equal(kubeProxyUdpRisk(config('mode: iptables\n')), undefined);
    assert.equal(kubeProxyUdpRisk(config('mode: ""\n')), undefined);
    assert.equal(kubeProxyUdpRisk('kind: KubeProxyConfiguration\nmode: [ipvs\n'), undefined, 'not YAML');
    assert.match(
      kubeProxyUdpRisk('{"kind": "KubeProxyConfiguration", "mode": "ipvs", "ipvs": {"udpTimeout": "0s"}}')?.detail ??
        '',
      /udpTimeout 0s/,
      'JSON is YAML',
    );
    assert.equal(kubeProxyUdpRisk('note: kind: KubeProxyConfiguration\nmode: ipvs\n'), undefined, 'not its kind');
  });

  it('finds the configuration under any key of any ConfigMap, located as that key', () => {
    const found = dnsFindings(
      [
        configMap('kube-system', 'kube-proxy', { 'config.conf': config('mode: ipvs\n'), 'kubeconfig.conf': 'x' }),
        configMap('kube-system', 'kube-proxy-canary', { 'config.conf': config('mode: iptables\n') }),
      ],
      'manifest',
    );
    assert.deepEqual(
      found.map((f) => [f.kb, f.where, f.field, f.valueLine]),
      [[DNS_KB.ipvsUdp, 'kube-system/ConfigMap/kube-proxy', ['data', 'config.conf'], 4]],
    );
  });

  it('only where the kube-dns Service serves UDP 53; live, a Service not read is said', () => {
    const ipvs = configMap('kube-system', 'kube-proxy', { 'config.conf': config('mode: ipvs\n') });
    const dnsService = (ports: object[], namespace = 'kube-system'): OpsObject => ({
      kind: 'Service',
      item: { metadata: { name: 'kube-dns', namespace }, spec: { ports } },
    });
    const details = (objects: OpsObject[], source: 'live' | 'manifest' = 'live') =>
      dnsFindings(objects, source)
        .filter((f) => f.kb === DNS_KB.ipvsUdp)
        .map((f) => f.detail);
    const udp = dnsService([
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ]);
    assert.equal(dnsServiceUdp([ipvs, udp]), 'yes');
    assert.match(details([ipvs, udp])[0], /; kube-system\/Service\/kube-dns serves UDP 53$/);
    // TCP only (a port without protocol is TCP), or UDP on another port: no UDP entries to outlive a pod.
    for (const ports of [[{ port: 53, protocol: 'TCP' }], [{ port: 53 }], [{ port: 5353, protocol: 'UDP' }]]) {
      assert.equal(dnsServiceUdp([ipvs, dnsService(ports)]), 'no', JSON.stringify(ports));
      assert.deepEqual(details([ipvs, dnsService(ports)]), [], JSON.stringify(ports));
    }
    // Another namespace's kube-dns is not the cluster's.
    assert.equal(dnsServiceUdp([ipvs, dnsService([{ port: 53 }], 'dev')]), 'unknown');
    assert.match(
      details([ipvs])[0],
      /; kube-system\/Service\/kube-dns not read: whether DNS goes over UDP was not checked$/,
    );
    assert.doesNotMatch(details([ipvs], 'manifest')[0], /kube-dns/);
  });
});

describe('KF-OPS-009: a large cluster without a node-local DNS cache', () => {
  const big = Array.from({ length: LARGE_CLUSTER_NODES }, (_, i) => node(i));
  const proxy = daemonSet('kube-system', 'kube-proxy', LARGE_CLUSTER_NODES);

  it(`${LARGE_CLUSTER_NODES} nodes and no cache: reported once, live only`, () => {
    const found = dnsFindings([...big, proxy], 'live');
    assert.deepEqual(
      found.map((f) => [f.kb, f.where]),
      [[DNS_KB.noNodeLocalDns, 'cluster DNS']],
    );
    assert.match(found[0].detail, /^100 nodes \(100 or more\) and no node-local DNS cache/);
    assert.deepEqual(dnsFindings([...big, proxy], 'manifest'), []);
  });

  it('without Node objects, the widest DaemonSet says how many nodes there are at least', () => {
    const found = dnsFindings([daemonSet('kube-system', 'kube-proxy', 250)], 'live');
    assert.match(found[0]?.detail ?? '', /^at least 250 nodes \(kube-system\/DaemonSet\/kube-proxy runs on them\)/);
  });

  it('not reported with a node-local-dns DaemonSet, a Kubespray nodelocaldns, a Corefile bound link-local, a small cluster, or kube-system unseen', () => {
    assert.deepEqual(dnsFindings([...big, proxy, daemonSet('kube-system', 'node-local-dns', 100)], 'live'), []);
    assert.deepEqual(
      dnsFindings([...big, proxy, daemonSet('kube-system', 'cache', 100, { 'k8s-app': 'nodelocaldns' })], 'live'),
      [],
    );
    const bound = configMap('kube-system', 'local-dns', {
      Corefile: 'cluster.local:53 {\n  cache 30\n  bind 169.254.20.10 10.96.0.10\n  forward . 10.96.0.11\n}\n',
    });
    assert.deepEqual(dnsFindings([...big, proxy, bound], 'live'), []);
    assert.deepEqual(dnsFindings([...big.slice(1), daemonSet('kube-system', 'kube-proxy', 99)], 'live'), []);
    assert.deepEqual(dnsFindings([...big, daemonSet('apps', 'agent', 100)], 'live'), [], 'kube-system not read');
  });
});

describe('registered with the other operational checks', () => {
  it('opsFindings runs the DNS checks too', () => {
    const found = opsFindings([deployment('shop', 'api')], 'manifest');
    assert.deepEqual(
      found.map((f) => f.kb),
      [DNS_KB.ndots],
    );
  });
});

describe('the DNS situations read through the API by the reader (ConfigMaps, no Secrets)', () => {
  let lab: Lab;
  let hunt: LabHunt;
  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.140.0.2', nodes: 2, etcd: 'off' });
    hunt = await huntApiAs(lab, 'reader');
  });
  after(async () => {
    await lab?.stop();
  });
  const objectsOf = (kb: string) => hunt.of(kb).map((f) => f.object);

  it('reads ConfigMaps and nodes, only reads, never a Secret', () => {
    assert.deepEqual(hunt.result.problems, []);
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
    assert.equal(lab.can('reader', { verb: 'list', group: '', resource: 'secrets' }), false);
    for (const path of ['/api/v1/configmaps?', '/api/v1/nodes?']) {
      assert.ok(
        hunt.requests.some((r) => r.path.startsWith(path) && r.status === 200),
        `${path} read`,
      );
    }
  });

  it("KF-OPS-006: the Corefile with autopath and a block without cache, once; not kubeadm's, not the commented one", () => {
    assert.deepEqual(objectsOf(DNS_KB.corefile), ['fleet/ConfigMap/fleet-dns']);
    const evidence = hunt.of(DNS_KB.corefile)[0].evidence ?? '';
    assert.match(evidence, /autopath @kubernetes \(line 7\).*pods verified \(line 4\)/);
    assert.match(
      evidence,
      /server block corp\.example:53 \(line 11\): no cache, every query forwarded to 10\.20\.0\.53/,
    );
    assert.match(evidence, /read through the API as reader/);
  });

  it('KF-OPS-007: one finding per namespace that keeps ndots 5, fleet among them; never the tuned namespace', () => {
    const namespaces = objectsOf(DNS_KB.ndots);
    assert.ok(namespaces.includes('namespace fleet'), namespaces.join(', '));
    assert.ok(!namespaces.includes('namespace edge'), 'the tuned namespace is not reported');
    // As kubeadm makes them: CoreDNS resolves through the node (dnsPolicy Default), kube-proxy is on the
    // host network with ClusterFirst (the node's resolv.conf too): kube-system keeps no ndots-5 workload.
    assert.ok(!namespaces.includes('namespace kube-system'), namespaces.join(', '));
    assert.equal(new Set(namespaces).size, namespaces.length, 'once per namespace');
    const fleet = hunt.of(DNS_KB.ndots).find((f) => f.object === 'namespace fleet');
    assert.match(
      fleet?.evidence ?? '',
      /^namespace fleet: \d+ workloads .*resolve with ndots 5 .*Deployment\/checkout/,
    );
  });

  it('KF-OPS-008: the IPVS configuration without a UDP timeout, once; not iptables, not the tuned canary', () => {
    assert.deepEqual(objectsOf(DNS_KB.ipvsUdp), ['kube-system/ConfigMap/kube-proxy-ipvs']);
    assert.match(
      hunt.of(DNS_KB.ipvsUdp)[0].evidence ?? '',
      /config\.conf: mode ipvs with ipvs\.udpTimeout unset.*; kube-system\/Service\/kube-dns serves UDP 53 \(/,
    );
  });

  it('KF-OPS-009: a lab of 2 nodes is not large', () => {
    assert.deepEqual(hunt.of(DNS_KB.noNodeLocalDns), []);
  });
});

describe('KF-OPS-009 on the lab made a cluster of 150 nodes by a relay', () => {
  const LAB_BASE = '127.140.1.2';
  let lab: Lab;
  const relays: TestServer[] = [];
  let nodePages = 0;

  /** The lab's insecure port, its node list grown to 150 and, when asked, a node-local-dns DaemonSet added. */
  function relay(address: string, nodeLocal: boolean): Promise<TestServer> {
    return startHttpServer(
      address,
      (req, res) => {
        const url = req.url ?? '/';
        const upstream = http.request(
          {
            host: LAB_BASE,
            port: PORTS.apiserverInsecure,
            path: url,
            method: req.method,
            // Plain JSON back, to be grown here.
            headers: { ...req.headers, 'accept-encoding': 'identity' },
          },
          (up) => {
            const grow = url.startsWith('/api/v1/nodes?') || (nodeLocal && url.startsWith('/apis/apps/v1/daemonsets?'));
            if (!grow || up.statusCode !== 200) {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
              return;
            }
            const chunks: Buffer[] = [];
            up.on('data', (c) => chunks.push(c));
            up.on('end', () => {
              const list = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              if (!Array.isArray(list.items)) {
                // A Table (the survey's rows): passed on as the lab wrote it.
              } else if (url.startsWith('/api/v1/nodes?')) {
                nodePages++;
                for (let i = list.items.length; i < 150; i++) {
                  list.items.push({ metadata: { name: `pool-node-${i}` }, spec: {}, status: {} });
                }
              } else {
                list.items.push({
                  metadata: { name: 'node-local-dns', namespace: 'kube-system' },
                  spec: {
                    template: {
                      metadata: { labels: { 'k8s-app': 'node-local-dns' } },
                      spec: { hostNetwork: true, dnsPolicy: 'Default', containers: [{ name: 'node-cache' }] },
                    },
                  },
                  status: { desiredNumberScheduled: 150 },
                });
              }
              const body = JSON.stringify(list);
              res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
              res.end(body);
            });
          },
        );
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      },
      PORTS.apiserverInsecure,
    );
  }

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: LAB_BASE, nodes: 1, etcd: 'off' });
    relays.push(await relay('127.140.1.10', false), await relay('127.140.1.11', true));
  });
  after(async () => {
    for (const r of relays) await r.close();
    await lab?.stop();
  });

  it('without a node-local cache: one finding naming the node count; with node-local-dns: none', async () => {
    const bare = await huntDiscovered([{ host: '127.140.1.10', port: PORTS.apiserverInsecure }], {
      hunters: apiserverHunters,
    });
    assert.ok(nodePages > 0, 'the nodes were listed');
    const found = bare.findings.filter((f) => f.kb === DNS_KB.noNodeLocalDns);
    assert.deepEqual(
      found.map((f) => f.object),
      ['cluster DNS'],
    );
    assert.match(found[0].evidence ?? '', /^cluster DNS: 150 nodes \(100 or more\) and no node-local DNS cache/);
    const cached = await huntDiscovered([{ host: '127.140.1.11', port: PORTS.apiserverInsecure }], {
      hunters: apiserverHunters,
    });
    assert.deepEqual(
      cached.findings.filter((f) => f.kb === DNS_KB.noNodeLocalDns),
      [],
    );
    assert.ok(
      cached.findings.some((f) => f.kb === DNS_KB.ipvsUdp),
      'the same hunt judged the rest of DNS',
    );
  });
});

describe('KF-OPS-009 in the real lab: --api-nodes 120, with and without --node-local-dns', () => {
  // Node objects without a kubelet (ops-bench's option) make the lab a cluster of 121 nodes to the API.
  // Loopback block 127.147.0.0/16: 127.147.2.0/24 and 127.147.3.0/24, the API-only nodes after each base.
  const huntOf = async (base: string, nodeLocalDns: boolean) => {
    const lab = await startLab({
      profile: 'default',
      base,
      nodes: 1,
      etcd: 'off',
      nodeLocalDns,
      scale: { apiNodes: 120 },
    });
    try {
      return await huntApiAs(lab, 'reader');
    } finally {
      await lab.stop();
    }
  };

  it('without a node-local cache: one finding naming the 121 nodes; with the add-on seeded: none', async () => {
    const bare = await huntOf('127.147.2.2', false);
    assert.deepEqual(
      bare.of(DNS_KB.noNodeLocalDns).map((f) => f.object),
      ['cluster DNS'],
    );
    assert.match(
      bare.of(DNS_KB.noNodeLocalDns)[0].evidence ?? '',
      /^cluster DNS: 121 nodes \(100 or more\) and no node-local DNS cache/,
    );
    const cached = await huntOf('127.147.3.2', true);
    assert.deepEqual(cached.of(DNS_KB.noNodeLocalDns), []);
    assert.ok(cached.of(DNS_KB.ipvsUdp).length > 0, 'the same hunt judged the rest of DNS');
    assert.ok(
      cached.requests.some((r) => r.path.startsWith('/apis/apps/v1/daemonsets?') && r.status === 200),
      'the DaemonSets were read',
    );
  });
});
