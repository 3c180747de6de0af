import { type Authorities, type CertKey, selfSignedServing } from './pki.js';
import { CONTROL_PLANE_NAME, type LabHost } from './topology.js';

/** Every certificate one lab needs, issued the way kubeadm and the components themselves would. */
export interface LabCertificates {
  /** kube-apiserver's serving certificate (cluster CA), SANs like a real one. */
  apiCert: CertKey;
  /** What the API server presents to kubelets (`nodes/<name>/proxy`). */
  kubeletClient: CertKey;
  /** etcd's serving and peer certificate (etcd CA). */
  etcdServer: CertKey;
  /** A client etcd accepts: kube-apiserver-etcd-client. */
  etcdClient: CertKey;
  /** Each kubelet's self-signed serving certificate, by node order. */
  kubeletCerts: CertKey[];
  /** The controller manager's and the scheduler's self-signed serving certificates. */
  componentCerts: [CertKey, CertKey];
  /** Each node's kubelet client certificate (system:node:<name>), kept on its simulated disk. */
  nodeCreds: CertKey[];
}

const API_SANS = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];

export async function issueCertificates(
  { cluster, etcd }: Authorities,
  base: string,
  nodes: LabHost[],
  email: boolean,
): Promise<LabCertificates> {
  const [apiCert, kubeletClient, etcdServer, etcdClient, kubeletCerts, componentCerts, nodeCreds] = await Promise.all([
    cluster.issue({
      subject: email ? 'CN=kube-apiserver, E=cluster-admin@example.com' : 'CN=kube-apiserver',
      dns: [...API_SANS, CONTROL_PLANE_NAME],
      ips: ['10.96.0.1', base],
      usage: 'server',
    }),
    cluster.issue({ subject: 'CN=kube-apiserver-kubelet-client, O=system:masters', usage: 'client' }),
    etcd.issue({
      subject: `CN=${CONTROL_PLANE_NAME}`,
      dns: ['localhost', CONTROL_PLANE_NAME],
      ips: [base, '127.0.0.1'],
      usage: 'server+client',
    }),
    etcd.issue({ subject: 'CN=kube-apiserver-etcd-client', usage: 'client' }),
    Promise.all(nodes.map((n) => selfSignedServing(n.name, [n.name], [n.address]))),
    Promise.all([
      selfSignedServing('kube-controller-manager', ['localhost', CONTROL_PLANE_NAME], [base]),
      selfSignedServing('kube-scheduler', ['localhost', CONTROL_PLANE_NAME], [base]),
    ]),
    Promise.all(
      nodes.map((n) => cluster.issue({ subject: `CN=system:node:${n.name}, O=system:nodes`, usage: 'client' })),
    ),
  ]);
  return { apiCert, kubeletClient, etcdServer, etcdClient, kubeletCerts, componentCerts, nodeCreds };
}

/** Every pair, for the list of secrets the lab holds. */
export function allPairs(c: LabCertificates): CertKey[] {
  return [
    c.apiCert,
    c.kubeletClient,
    c.etcdServer,
    c.etcdClient,
    ...c.kubeletCerts,
    ...c.componentCerts,
    ...c.nodeCreds,
  ];
}
