import { createHash } from 'node:crypto';
import type { Container, NodeStatus, Pod, Toleration, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { tokenSecretName } from './seed-secrets.js';
import { stableUid, timestamp } from './store.js';

/**
 * The kubelet's maxPods on the lab's own nodes (its configz, the Nodes' pods capacity): 250, as managed
 * clusters allow (AKS, EKS with prefix delegation), since the lab's fleet of Deployments has its pods and a
 * one-node lab holds about 180 of them; kubeadm's default 110 would leave some Pending there.
 */
export const MAX_PODS = 250;

/** A node pods can run on: its name, address and index in the topology. */
export interface NodeSlot {
  name: string;
  address: string;
  index: number;
}

function imagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const tag = image.includes('@') ? 'digest' : (image.split('/').pop()?.split(':')[1] ?? 'latest');
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Fills the defaults the real server's defaulting and admission add to a new pod. */
export function defaultPod(pod: Pod): Pod {
  const spec = pod.spec ?? { containers: [] };
  const container = (c: Container): Container => ({
    ...c,
    imagePullPolicy: c.imagePullPolicy ?? imagePullPolicy(c.image ?? ''),
    terminationMessagePath: c.terminationMessagePath ?? '/dev/termination-log',
    terminationMessagePolicy: c.terminationMessagePolicy ?? 'File',
    resources: c.resources ?? {},
    ports: c.ports?.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })),
  });
  return {
    ...pod,
    spec: {
      ...spec,
      containers: spec.containers.map(container),
      initContainers: spec.initContainers?.map(container),
      restartPolicy: spec.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
      dnsPolicy: spec.dnsPolicy ?? 'ClusterFirst',
      serviceAccountName: spec.serviceAccountName ?? 'default',
      serviceAccount: spec.serviceAccountName ?? 'default',
      securityContext: spec.securityContext ?? {},
      schedulerName: spec.schedulerName ?? 'default-scheduler',
      enableServiceLinks: spec.enableServiceLinks ?? true,
      priority: spec.priority ?? 0,
      tolerations: withDefaultTolerationSeconds(spec.tolerations ?? []),
    },
  };
}

/** The NoExecute taints of a node that is not ready or not reachable, which evict pods not tolerating them. */
const EVICTING = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** Whether a toleration is one DefaultTolerationSeconds added (to take a pod's template back). */
export function isDefaultTolerationSeconds(t: Toleration): boolean {
  return (
    EVICTING.includes(t.key ?? '') && t.operator === 'Exists' && t.effect === 'NoExecute' && t.tolerationSeconds === 300
  );
}

/**
 * What the DefaultTolerationSeconds admission plugin adds: a 300 s toleration of each evicting taint the
 * pod does not tolerate already (a toleration of that key, or of every key, with NoExecute or every
 * effect), after the pod's own. A daemon pod tolerates both forever, so it gets none.
 */
export function withDefaultTolerationSeconds(tolerations: readonly Toleration[]): Toleration[] {
  const added = EVICTING.filter(
    (key) => !tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute')),
  ).map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }));
  return [...tolerations, ...added];
}

/**
 * The service-account token volume admission adds to a pod: from 1.21 the projected `kube-api-access-…`
 * volume (BoundServiceAccountTokenVolume), before it the account's `<account>-token-…` secret.
 */
export function tokenVolume(
  ns: string,
  name: string,
  minor: number,
  serviceAccount = 'default',
): { volume: Volume; mount: VolumeMount } {
  const mountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
  if (minor < 21) {
    const secretName = tokenSecretName(ns, serviceAccount);
    return {
      volume: { name: secretName, secret: { secretName, defaultMode: 420 } },
      mount: { name: secretName, readOnly: true, mountPath },
    };
  }
  const volumeName = `kube-api-access-${stableUid(`${ns}/${name}/token`).replace(/-/g, '').slice(0, 5)}`;
  return {
    volume: {
      name: volumeName,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
    mount: { name: volumeName, readOnly: true, mountPath },
  };
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex');

/** Marks a pod scheduled on `node` and running, with the status a kubelet reports for it. */
export function runPod(pod: Pod, node: NodeSlot, podIP: string, started: Date): Pod {
  const spec = { ...pod.spec!, nodeName: node.name };
  const at = timestamp(started);
  const statuses = spec.containers.map((c) => ({
    name: c.name,
    state: { running: { startedAt: at } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: c.image?.includes('/') ? c.image : `docker.io/library/${c.image}`,
    imageID: `sha256:${shortHash(c.image ?? '')}`,
    containerID: `containerd://${shortHash(`${pod.metadata?.namespace}/${pod.metadata?.name}/${c.name}`)}`,
    started: true,
  }));
  const limited = spec.containers.some((c) => c.resources?.limits || c.resources?.requests);
  return {
    ...pod,
    spec,
    status: {
      phase: 'Running',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: at,
      })),
      hostIP: node.address,
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: at,
      containerStatuses: statuses,
      qosClass: limited ? 'Burstable' : 'BestEffort',
    },
  };
}

/** Hands out pod IPs from each node's pod CIDR (10.244.<node+1>.0/24), like a CNI plugin. */
export class PodNetwork {
  private readonly next = new Map<number, number>();

  cidr(node: NodeSlot): string {
    return `10.244.${node.index + 1}.0/24`;
  }

  allocate(node: NodeSlot): string {
    const n = this.next.get(node.index) ?? 2;
    this.next.set(node.index, n + 1);
    return `10.244.${node.index + 1}.${n}`;
  }
}

/**
 * What a healthy node's kubelet reports about it, the same for every node the lab serves (its own and the
 * API-only ones of seed-bulk-workloads.ts): the four conditions, as of `at`, its addresses, its endpoint.
 */
export function healthyNodeStatus(
  name: string,
  address: string,
  at: string,
  kubeletPort: number,
): Pick<NodeStatus, 'conditions' | 'addresses' | 'daemonEndpoints'> {
  return {
    conditions: [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ].map(([type, status, reason, message]) => ({
      type,
      status,
      lastHeartbeatTime: at,
      lastTransitionTime: at,
      reason,
      message,
    })),
    addresses: [
      { type: 'InternalIP', address },
      { type: 'Hostname', address: name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
  };
}
