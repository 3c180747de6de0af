import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { isNamespaceName } from '../../kubernetes/namespaces.js';
import { NAMESPACES_KEPT } from '../../kubernetes/pod-digest.js';
import { count, said, sample } from '../evidence.js';
import { ServiceProbe } from '../probe.js';
import { observeStaticPodFlags } from './observations.js';
import { partial, podListOf, podsGap, readPods } from './pod-list.js';
import { kubeletOf } from './target.js';

/** The namespaces the pods listed live in: known to the namespace survey of every API server from now on. */
function publishNamespaces(
  ctx: HuntContext,
  kubelet: { host: string; port: number },
  namespaces: string[],
  parents: string[],
): void {
  const source = `kubelet :${kubelet.port}/pods`;
  for (const namespace of namespaces) {
    if (!isNamespaceName(namespace)) continue;
    ctx.publish('NamespaceSeen', { namespace, source, host: kubelet.host, port: kubelet.port }, parents);
  }
  if (namespaces.length >= NAMESPACES_KEPT) {
    ctx.gap({
      host: kubelet.host,
      port: kubelet.port,
      subject: 'namespaces in /pods',
      reason: 'cap',
      detail: `the first ${NAMESPACES_KEPT} namespaces the pods live in were kept; any after them were not learned`,
    });
  }
}

/**
 * Reads the pod specs a kubelet lists to anyone (after the anonymous-kubelet or read-only-port finding):
 * the exposed list itself, every pod running a privileged container, every pod that mounts the host's
 * /var/log writable (the symlink escape through the kubelet's /logs/), and — when the kubelet is anonymous
 * on its authenticated port — the privileged containers anyone can exec into.
 *
 * The list is a finding per port (each port is a door), but a pod's privileged containers and mounts are
 * facts about the pod on that node: they are reported once per node and pod (no port, so the engine keeps
 * the first when both kubelet ports list the pod), the evidence saying where the spec was read.
 */
export const kubeletPodSpecsHunter = defineHunter({
  id: 'kubelet-pod-specs',
  title: 'Pod specs a kubelet lists to anyone: privileged containers, writable /var/log mounts',
  mode: 'passive',
  on: 'Finding',
  when: (f) => f.kb === 'KF-KUBELET-001' || f.kb === 'KF-KUBELET-015',
  reports: ['KF-KUBELET-002', 'KF-KUBELET-010', 'KF-KUBELET-011', 'KF-KUBELET-014'],
  async hunt(trigger, ctx) {
    const kubelet = kubeletOf(ctx, trigger);
    if (!kubelet) return;
    const read = await readPods(new ServiceProbe(ctx, kubelet));
    const list = podListOf(read);
    if (!list || !read) return;
    podsGap(ctx, kubelet, read);
    observeStaticPodFlags(ctx, kubelet.host, list.kept);
    const seen = `listed at :${kubelet.port}/pods`;
    const podsEndpoint = { host: kubelet.host, port: kubelet.port, path: '/pods' };
    const names = `${sample(list.names.slice(0, 4), 4)}${list.count > 4 ? `, … (${list.count} in all)` : ''}`;
    const listed = ctx.report({
      ...podsEndpoint,
      kb: 'KF-KUBELET-002',
      evidence: said(read, `${count(list.count, 'pod spec')} (${names})${partial(read)}`),
    });
    publishNamespaces(ctx, kubelet, list.namespaces, [listed.id]);

    const privileged: string[] = [];
    const privilegedPods: string[] = [];
    for (const { pod, containers } of list.privileged) {
      const f = ctx.report(
        {
          host: kubelet.host,
          kb: 'KF-KUBELET-010',
          object: `pod ${pod}`,
          evidence: `pod ${pod} runs ${containers.length === 1 ? 'container' : 'containers'} ${containers.join(', ')} with securityContext.privileged: true (${seen})`,
        },
        [listed.id],
      );
      privileged.push(f.id);
      privilegedPods.push(pod);
    }
    if (trigger.kb === 'KF-KUBELET-001' && privileged.length > 0) {
      ctx.report(
        {
          ...podsEndpoint,
          kb: 'KF-KUBELET-011',
          evidence: `the kubelet accepts anonymous requests and runs ${count(privilegedPods.length, 'pod')} with privileged containers: ${sample(privilegedPods)}${partial(read)}`,
        },
        [trigger.id, ...privileged],
      );
    }
    for (const { pod, mounts } of list.varLog) {
      const how = mounts.map((m) => `${m.container} mounts host ${m.hostPath} at ${m.mountPath}`);
      ctx.report(
        {
          host: kubelet.host,
          kb: 'KF-KUBELET-014',
          object: `pod ${pod}`,
          evidence: `pod ${pod}: ${how.join('; ')}, writable (hostPath, readOnly not set; ${seen})`,
        },
        [listed.id],
      );
    }
  },
});
