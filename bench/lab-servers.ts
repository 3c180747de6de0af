// Lab-like servers for the discovery benchmark: a few hosts of a small cluster answering on default ports
// like the real components (the answers of test/discovery/fakes.ts). Until the lab (src/lab) lands, this
// stands in for it. Prints "ready" once every server listens; runs until killed.

import { type ComponentName, startComponent } from '../test/discovery/fakes.js';
import { makeCert } from '../test/helpers/certs.js';

const base = process.argv[2] ?? '127.1.0';
const tlsCert = makeCert({ cn: 'kube-apiserver', dns: ['kubernetes', 'kubernetes.default.svc'] });

const layout: Array<[number, number, ComponentName, boolean]> = [
  // host, port, component, TLS
  [2, 6443, 'apiserver', true],
  [2, 2379, 'etcd', false],
  [2, 2380, 'etcd', false],
  [2, 10257, 'componentSecurePort', true],
  [2, 10259, 'componentSecurePort', true],
  [3, 10250, 'kubelet', true],
  [3, 10255, 'kubeletReadOnly', false],
  [3, 10256, 'kubeProxyHealth', false],
  [3, 10249, 'kubeProxyMetrics', false],
  [4, 10250, 'kubeletWebhook', true],
  [4, 4194, 'cadvisor', false],
  [5, 8001, 'apiserverInsecure', false],
  [5, 30000, 'dashboard', false],
  [5, 8443, 'dashboard', true],
  [6, 9090, 'prometheus', false],
  [6, 3000, 'grafana', false],
  [6, 9100, 'nodeExporter', false],
  [6, 3100, 'loki', false],
  [7, 8080, 'plainWeb', false],
  [7, 443, 'argocd', true],
];

await Promise.all(
  layout.map(([host, port, component, tls]) =>
    startComponent(component, `${base}.${host}`, { port, tls: tls ? tlsCert : undefined }),
  ),
);
console.log('ready');
