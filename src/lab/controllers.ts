import type { Pod, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { NodeIndex, nodeFacts, placementOf, taintText } from '../kubernetes/node-fit.js';
import { podAdmission } from './admission.js';
import type { LabClock } from './clock.js';
import { crdResources, crdStatus } from './crds.js';
import { recordFailedCreate } from './events.js';
import { defaultPod, type NodeSlot, runPod, tokenVolume } from './pods.js';
import { RESOURCES, type ResourceType, resourceOfKind, STORED } from './resources.js';
import { tokenSecret } from './seed-secrets.js';
import { type KubeObject, type Store, timestamp } from './store.js';
import type { TokenSigner } from './tokens.js';
import { WorkloadControllers } from './workloads.js';

const kind = (k: string) => resourceOfKind(RESOURCES, k);
const PODS = kind('Pod');
const SERVICE_ACCOUNTS = kind('ServiceAccount');
const NAMESPACES = kind('Namespace');
const EVENTS = kind('Event');
/** Who the workload controllers create pods as (their own service accounts in kube-system). */
const CONTROLLER = {
  name: 'system:serviceaccount:kube-system:replicaset-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};

export interface ControllerDeps {
  store: Store;
  nodes: NodeSlot[];
  minor: number;
  caCert: string;
  signer: TokenSigner;
  /** The resources this lab's version serves, shared with the API server: CRDs add theirs. */
  resources: ResourceType[];
  clock: LabClock;
}

/**
 * What admission and the cluster's controllers do around a change, done at once so the state is
 * settled when the API call returns: pods are defaulted, scheduled and running; a new namespace gets its
 * default service account and root CA config map; a deleted namespace takes its objects with it.
 */
export class Controllers {
  private readonly workloads: WorkloadControllers;

  constructor(private readonly deps: ControllerDeps) {
    this.workloads = new WorkloadControllers({
      store: deps.store,
      resources: deps.resources,
      nodes: deps.nodes,
      clock: deps.clock,
      minor: deps.minor,
      create: (rt, object) => this.create(rt, object),
    });
    deps.clock.onTick(() => this.workloads.cronJobs());
  }

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
    if (rt.kind === 'Service') return this.admitService(object);
    return object;
  }

  /** A new Service's defaults and its cluster IP from 10.96.0.0/12 (ExternalName and headless ones get none). */
  private admitService(service: KubeObject): KubeObject {
    const spec = (service.spec ?? {}) as {
      type?: string;
      clusterIP?: string;
      ports?: { port: number; protocol?: string; targetPort?: number | string }[];
    };
    const type = spec.type ?? 'ClusterIP';
    const out: Record<string, unknown> = {
      ...spec,
      type,
      sessionAffinity: (spec as { sessionAffinity?: string }).sessionAffinity ?? 'None',
      ports: spec.ports?.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })),
    };
    if (type !== 'ExternalName') {
      const ip = spec.clusterIP ?? this.clusterIp();
      Object.assign(out, { clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    }
    return { ...service, spec: out };
  }

  private clusterIp(): string {
    const used = new Set(
      this.deps.store.list(kind('Service')).map((s) => (s.spec as { clusterIP?: string })?.clusterIP),
    );
    for (let i = 10; i < 4096; i++) {
      const ip = `10.96.${Math.floor(i / 254)}.${(i % 254) + 1}`;
      if (!used.has(ip)) return ip;
    }
    return 'None';
  }

  private admitPod(pod: Pod): Pod {
    let p = defaultPod(pod);
    const ns = p.metadata?.namespace ?? 'default';
    if (p.spec!.automountServiceAccountToken !== false) {
      const account = p.spec!.serviceAccountName ?? 'default';
      const token = tokenVolume(ns, p.metadata?.name ?? p.metadata?.generateName ?? 'pod', this.deps.minor, account);
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
    if (!node)
      return { ...p, status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [this.unschedulable(p)] } };
    return runPod(p, node, p.spec!.hostNetwork ? node.address : this.podIp(node), new Date());
  }

  /**
   * The node the pod names, else the node running the fewest pods among those whose labels and taints let
   * it in (src/kubernetes/node-fit.ts: a cordoned node is tainted; resources are not weighed). None: the pod
   * stays Pending, as with a node selector no node has.
   */
  private schedule(pod: Pod): NodeSlot | undefined {
    const { nodes, store } = this.deps;
    if (pod.spec?.nodeName) return nodes.find((n) => n.name === pod.spec!.nodeName);
    const load = (n: NodeSlot) => store.view(PODS).filter((p) => (p.spec as Pod['spec'])?.nodeName === n.name).length;
    const placement = placementOf(pod.spec);
    const open = nodes.filter((n) => {
      const facts = nodeFacts(store.get(kind('Node'), undefined, n.name) ?? { metadata: { name: n.name } });
      return facts !== undefined && new NodeIndex([facts]).noFit(placement) === undefined;
    });
    return [...open].sort((a, b) => load(a) - load(b) || a.index - b.index)[0];
  }

  /** What kube-scheduler writes on a pod no node takes, in its words. */
  private unschedulable(pod: Pod): NonNullable<NonNullable<Pod['status']>['conditions']>[number] {
    const { nodes, store } = this.deps;
    const facts = nodes.flatMap(
      (n) => nodeFacts(store.get(kind('Node'), undefined, n.name) ?? { metadata: { name: n.name } }) ?? [],
    );
    const no = new NodeIndex(facts).noFit(placementOf(pod.spec));
    const why =
      no?.why === 'taints'
        ? `${nodes.length} node(s) had untolerated taint(s): ${no.taints.map(taintText).join(', ')}`
        : `${nodes.length} node(s) didn't match Pod's node affinity/selector`;
    return {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: `0/${nodes.length} nodes are available: ${why}.`,
      lastTransitionTime: timestamp(),
    };
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

  private create(rt: ResourceType, object: KubeObject): KubeObject {
    // Pod Security judges a controller's pods as any other: a refused one is not made, and the owner gets
    // a FailedCreate event, as kube-controller-manager records it (the lab does not try again).
    if (rt === PODS) {
      const namespace = this.deps.store.get(NAMESPACES, undefined, object.metadata.namespace ?? '');
      const refusal = podAdmission(CONTROLLER, object as unknown as Pod, namespace, this.deps.minor);
      if (refusal) {
        recordFailedCreate(this.deps.store, EVENTS, object, refusal, timestamp(this.deps.clock.now()));
        return object;
      }
    }
    const stored = this.deps.store.create(rt, this.admit(rt, object));
    this.created(rt, stored);
    return stored;
  }

  /** What follows an update (spec changes reach the workload controllers and the CRD's served resources). */
  updated(rt: ResourceType, object: KubeObject): void {
    this.workloads.changed(rt, object);
    if (rt.kind === 'CustomResourceDefinition') this.serveCrd(object);
  }

  /** Serves (or stops serving) a CRD's custom resources and marks it established. */
  private serveCrd(crd: KubeObject, gone = false): void {
    const { resources, store } = this.deps;
    const name = crd.metadata.name;
    for (let i = resources.length - 1; i >= 0; i--) if (resources[i].custom?.crd === name) resources.splice(i, 1);
    if (gone) {
      for (const r of crdResources(crd).slice(0, 1))
        for (const o of store.list(r)) store.remove(r, o.metadata.namespace, o.metadata.name ?? '');
      return;
    }
    resources.push(...crdResources(crd).map((r) => ({ ...r, custom: { ...r.custom, crd: name } })));
    const stored = store.get(resourceOfKind(RESOURCES, 'CustomResourceDefinition'), undefined, name ?? '');
    if (stored)
      store.replace(resourceOfKind(RESOURCES, 'CustomResourceDefinition'), {
        ...stored,
        status: crdStatus(stored, timestamp()),
      });
  }

  /** What follows a create. */
  created(rt: ResourceType, object: KubeObject): void {
    const { store, minor, caCert, signer } = this.deps;
    this.workloads.changed(rt, object);
    if (rt.kind === 'CustomResourceDefinition') this.serveCrd(object);
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
    this.workloads.deleted(rt, object);
    if (rt.kind === 'CustomResourceDefinition') this.serveCrd(object, true);
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
    // Built-in resources and the custom ones CRDs serve now (their first version: one table each).
    const custom = this.deps.resources.filter(
      (r, i, all) => r.custom && all.findIndex((x) => x.group === r.group && x.resource === r.resource) === i,
    );
    for (const r of [...STORED, ...custom]) {
      if (!r.namespaced || r.review) continue;
      for (const o of store.list(r, object.metadata.name)) store.remove(r, o.metadata.namespace, o.metadata.name ?? '');
    }
  }
}
