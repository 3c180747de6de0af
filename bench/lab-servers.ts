// Lab-like servers for the discovery benchmark: a few hosts of a small cluster answering on default ports
// like the real components (the answers of test/discovery/fakes.ts). Until the lab (src/lab) lands, this
// stands in for it. Prints "ready" once every server listens; runs until killed.

import { type ComponentName, startComponent } from '../test/discovery/fakes.js';
import { makeCert } from '../test/helpers/certs.js';

const base = process.argv[2] ?? '127.1.0';
// Each component with the certificate it really serves: the API server's names the in-cluster service,
// the kubelet's and the controllers' are self-signed for their own host.
const certs = {
  apiserver: makeCert({ cn: 'kube-apiserver', dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc'] }),
  node: makeCert({ cn: 'node-1@1714640000' }),
  localhost: makeCert({ cn: 'localhost@1714640000', dns: ['localhost'] }),
};
type Cert = keyof typeof certs;

const layout: Array<[number, number, ComponentName, Cert?]> = [
  // host, port, component, TLS certificate
  [2, 6443, 'apiserver', 'apiserver'],
  [2, 2379, 'etcd'],
  [2, 2380, 'etcd'],
  [2, 10257, 'componentSecurePort', 'localhost'],
  [2, 10259, 'componentSecurePort', 'localhost'],
  [3, 10250, 'kubelet', 'node'],
  [3, 10255, 'kubeletReadOnly'],
  [3, 10256, 'kubeProxyHealth'],
  [3, 10249, 'kubeProxyMetrics'],
  [4, 10250, 'kubeletWebhook', 'node'],
  [4, 4194, 'cadvisor'],
  [5, 8001, 'apiserverInsecure'],
  [5, 30000, 'dashboard'],
  [5, 8443, 'dashboard', 'localhost'],
  [6, 9090, 'prometheus'],
  [6, 3000, 'grafana'],
  [6, 9100, 'nodeExporter'],
  [6, 3100, 'loki'],
  [7, 8080, 'plainWeb'],
  [7, 443, 'argocd', 'localhost'],
];

await Promise.all(
  layout.map(([host, port, component, cert]) =>
    startComponent(component, `${base}.${host}`, { port, tls: cert && certs[cert] }),
  ),
);
console.log('ready');
