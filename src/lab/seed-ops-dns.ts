import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Namespace, PodSpec } from 'kubernetes-types/core/v1.js';
import { OPS_NAMESPACE } from './seed-ops.js';

// The DNS situations of issue 17 (src/hunters/ops/dns.ts), each beside a decoy that looks alike but is
// safe; reported live by apiserver-workloads' ops checks. The same situations as manifests are in
// test/fixtures/ops/dns.yaml.
//
//   KF-OPS-006  fleet/ConfigMap/fleet-dns: a team's CoreDNS whose Corefile has autopath (with pods
//               verified) and a corp.example block without cache.
//               decoys kube-system/ConfigMap/coredns (kubeadm's: cache 30, no autopath) and
//               edge/ConfigMap/edge-dns (autopath only in a comment; its second block's cache comes from
//               a snippet it imports).
//   KF-OPS-007  namespace fleet: its workloads keep ndots 5 (as do the lab's other namespaces, reported
//               each once: that is what most clusters look like).
//               decoy namespace edge: ndots 2, ndots 1 with dnsPolicy None, and an agent with dnsPolicy
//               Default (the node's resolv.conf).
//   KF-OPS-008  kube-system/ConfigMap/kube-proxy-ipvs: the configuration of a node pool moved to IPVS,
//               udpTimeout unset.
//               decoys kube-system/ConfigMap/kube-proxy (iptables) and kube-system/ConfigMap/
//               kube-proxy-ipvs-canary (IPVS, udpTimeout 5s). The lab's kube-proxies themselves answer
//               /proxyMode iptables.
//   KF-OPS-009  a lab grown to 100 nodes or more (--api-nodes: Node objects without a kubelet) and no
//               node-local-dns DaemonSet.
//               decoy: the same lab with --node-local-dns, which seeds kube-system/DaemonSet/node-local-dns
//               (the add-on's: hostNetwork, dnsPolicy Default, on every node).

export const DNS_DECOY_NAMESPACE = 'edge';

const configMap = (namespace: string, name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

const FLEET_COREFILE = `.:53 {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods verified
        fallthrough in-addr.arpa ip6.arpa
    }
    autopath @kubernetes
    forward . /etc/resolv.conf
    cache 30
}
corp.example:53 {
    errors
    forward . 10.20.0.53
}
`;

const EDGE_COREFILE = `(cached) {
    cache 30
}
.:53 {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa
    # autopath @kubernetes   (off: it answers past the cache)
    forward . /etc/resolv.conf
    cache 30
}
corp.example:53 {
    errors
    import cached
    forward . 10.20.0.53
}
`;

const kubeProxyConfig = (mode: string, ipvs?: string) =>
  [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    'bindAddress: 0.0.0.0',
    'clusterCIDR: 10.244.0.0/16',
    `mode: ${mode}`,
    ...(ipvs ? ['ipvs:', `  udpTimeout: ${ipvs}`, '  scheduler: rr'] : []),
    '',
  ].join('\n');

function deployment(name: string, extra: Partial<PodSpec>): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: DNS_DECOY_NAMESPACE, labels: { app: name }, generation: 1 },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: `registry.example/${name}:3.1.0` }], ...extra },
      },
    },
    status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1 },
  };
}

function nodeAgent(name: string, nodes: number): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: DNS_DECOY_NAMESPACE, labels: { app: name }, generation: 1 },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { dnsPolicy: 'Default', containers: [{ name, image: `registry.example/${name}:3.1.0` }] },
      },
    },
    status: { currentNumberScheduled: nodes, desiredNumberScheduled: nodes, numberMisscheduled: 0, numberReady: nodes },
  };
}

/** The node-local DNS cache add-on's DaemonSet (k8s-app node-local-dns), as its manifest makes it. */
function nodeLocalDns(nodes: number): DaemonSet {
  const labels = { 'k8s-app': 'node-local-dns' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'node-local-dns', namespace: 'kube-system', labels, generation: 1 },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: 'system-node-critical',
          hostNetwork: true,
          dnsPolicy: 'Default',
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
            { effect: 'NoSchedule', operator: 'Exists' },
          ],
          containers: [
            {
              name: 'node-cache',
              image: 'registry.k8s.io/dns/k8s-dns-node-cache:1.23.1',
              resources: { requests: { cpu: '25m', memory: '5Mi' } },
              args: [
                '-localip',
                '169.254.20.10,10.96.0.10',
                '-conf',
                '/etc/Corefile',
                '-upstreamsvc',
                'kube-dns-upstream',
              ],
            },
          ],
        },
      },
    },
    status: { currentNumberScheduled: nodes, desiredNumberScheduled: nodes, numberMisscheduled: 0, numberReady: nodes },
  };
}

/** The DNS situations and their decoys, for a lab of `nodes` nodes (with a node-local DNS cache when asked). */
export function dnsScenarioObjects(
  nodes: number,
  withNodeLocalDns = false,
): (Namespace | ConfigMap | Deployment | DaemonSet)[] {
  return [
    ...(withNodeLocalDns ? [nodeLocalDns(nodes)] : []),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DNS_DECOY_NAMESPACE } },
    configMap(OPS_NAMESPACE, 'fleet-dns', { Corefile: FLEET_COREFILE }),
    configMap(DNS_DECOY_NAMESPACE, 'edge-dns', { Corefile: EDGE_COREFILE }),
    configMap('kube-system', 'kube-proxy-ipvs', { 'config.conf': kubeProxyConfig('ipvs') }),
    configMap('kube-system', 'kube-proxy-ipvs-canary', { 'config.conf': kubeProxyConfig('ipvs', '5s') }),
    deployment('edge-gateway', { dnsConfig: { options: [{ name: 'ndots', value: '2' }] } }),
    deployment('edge-resolver', {
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['10.96.0.10'], options: [{ name: 'ndots', value: '1' }] },
    }),
    nodeAgent('edge-agent', nodes),
  ];
}
