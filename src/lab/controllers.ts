import type { Pod, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { defaultPod, type NodeSlot, runPod, tokenVolume } from './pods.js';
import { RESOURCES, type ResourceType, resourceOfKind } from './resources.js';
import { tokenSecret } from './seed-secrets.js';
import type { KubeObject, Store } from './store.js';
import type { TokenSigner } from './tokens.js';

const kind = (k: string) => resourceOfKind(RESOURCES, k);
const PODS = kind('Pod');
const SERVICE_ACCOUNTS = kind('ServiceAccount');
const NAMESPACES = kind('Namespace');

export interface ControllerDeps {
  store: Store;
  nodes: NodeSlot[];
  minor: number;
  caCert: string;
  signer: TokenSigner;
}

/**
 * What admission and the cluster's controllers do around a change, done at once so the state is
 * settled when the API call returns: pods are defaulted, scheduled and running; a new namespace gets its
 * default service account and root CA config map; a deleted namespace takes its objects with it.
 */
export class Controllers {
  constructor(private readonly deps: ControllerDeps) {}

  /** Admission and defaulting of a new object, before it is stored. */
  admit(rt: ResourceType, object: KubeObject): KubeObject {
    if (rt === PODS) return this.admitPod(object as unknown as Pod) as unknown as KubeObject;
    if (rt === NAMESPACES) {
      const name = object.metadata.name ?? '';
      return {
        ...object,
        metadata: { ...object.metadata, labels: { ...object.metadata.labels, 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      };
    }
    return object;
  }

  private admitPod(pod: Pod): Pod {
    let p = defaultPod(pod);
    const ns = p.metadata?.namespace ?? 'default';
    if (p.spec!.automountServiceAccountToken !== false) {
      const token = tokenVolume(ns, p.metadata?.name ?? p.metadata?.generateName ?? 'pod');
      p = {
        ...p,
        spec: {
          ...p.spec!,
          volumes: [...(p.spec!.volumes ?? []), token.volume],
          containers: p.spec!.containers.map((c) => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), token.mount] })),
        },
      };
    }
    const node = this.schedule(p);
    if (!node) return { ...p, status: { phase: 'Pending', qosClass: 'BestEffort' } };
    return runPod(p, node, p.spec!.hostNetwork ? node.address : this.podIp(node), new Date());
  }

  /** The node the pod names, else the node running the fewest pods. */
  private schedule(pod: Pod): NodeSlot | undefined {
    const { nodes, store } = this.deps;
    if (pod.spec?.nodeName) return nodes.find((n) => n.name === pod.spec!.nodeName);
    const load = (n: NodeSlot) => store.view(PODS).filter((p) => (p.spec as Pod['spec'])?.nodeName === n.name).length;
    return [...nodes].sort((a, b) => load(a) - load(b) || a.index - b.index)[0];
  }

  private podIp(node: NodeSlot): string {
    const prefix = `10.244.${node.index + 1}.`;
    const used = new Set(
      this.deps.store
        .view(PODS)
        .map((p) => (p.status as Pod['status'])?.podIP ?? '')
        .filter((ip) => ip.startsWith(prefix)),
    );
    for (let i = 2; i < 255; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`;
    return `${prefix}254`;
  }

  private create(rt: ResourceType, object: KubeObject): void {
    const stored = this.deps.store.create(rt, this.admit(rt, object));
    this.created(rt, stored);
  }

  /** What follows a create. */
  created(rt: ResourceType, object: KubeObject): void {
    const { store, minor, caCert, signer } = this.deps;
    const ns = object.metadata.name ?? '';
    if (rt === NAMESPACES) {
      this.create(SERVICE_ACCOUNTS, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace: ns },
      });
      if (minor >= 20) {
        this.create(kind('ConfigMap'), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'kube-root-ca.crt', namespace: ns },
          data: { 'ca.crt': caCert },
        });
      }
    }
    if (rt === SERVICE_ACCOUNTS && minor < 24) {
      const account = object as unknown as ServiceAccount;
      const secret = tokenSecret(account, object.metadata.uid ?? '', signer, caCert);
      store.create(kind('Secret'), secret as unknown as KubeObject);
      store.replace(SERVICE_ACCOUNTS, { ...object, secrets: [{ name: secret.metadata!.name }] });
    }
  }

  /** What follows a delete: a namespace's objects go with it, an account's token secrets with the account. */
  deleted(rt: ResourceType, object: KubeObject): void {
    const { store } = this.deps;
    if (rt === SERVICE_ACCOUNTS) {
      const secrets = kind('Secret');
      for (const s of store.list(secrets, object.metadata.namespace)) {
        if (
          s.type === 'kubernetes.io/service-account-token' &&
          s.metadata.annotations?.['kubernetes.io/service-account.uid'] === object.metadata.uid
        ) {
          store.remove(secrets, s.metadata.namespace, s.metadata.name ?? '');
        }
      }
      return;
    }
    if (rt !== NAMESPACES) return;
    for (const r of RESOURCES) {
      if (!r.namespaced || r.review) continue;
      for (const o of store.list(r, object.metadata.name)) store.remove(r, o.metadata.namespace, o.metadata.name ?? '');
    }
  }
}
