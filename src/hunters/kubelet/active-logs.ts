import { refusal } from '../../active/send.js';
import { defineHunter } from '../../core/hunter.js';
import {
  containerName,
  containerPath,
  kubeletPods,
  kubeletTarget,
  perKubelet,
  runningContainers,
} from './active-pods.js';
import { listedEntries } from './debug-handlers.js';

/** Containers tried for a non-empty log. */
const MAX_CONTAINERS = 5;
const TAIL_LINES = 10;

const lineCount = (text: string) => text.split('\n').filter((l) => l.length > 0).length;

/**
 * Proves that container logs are readable through the kubelet: reads the last lines of the first running
 * container with a non-empty log. The evidence says how much was read, never what: logs hold secrets.
 */
export const kubeletActiveContainerLogs = defineHunter({
  id: 'kubelet-active-container-logs',
  title: "Reads a container's logs through the kubelet",
  mode: 'active',
  on: 'Finding',
  when: (f) => f.kb === 'KF-KUBELET-004',
  subject: perKubelet,
  reports: ['KF-KUBELET-102'],
  changes: "reads the last lines of one container's log (read only)",
  async hunt(finding, ctx) {
    const target = kubeletTarget(ctx, finding);
    if (!target) return;
    const pods = await kubeletPods(ctx, target);
    for (const c of runningContainers(pods ?? []).slice(0, MAX_CONTAINERS)) {
      const path = `/containerLogs/${containerPath(c)}`;
      const where = containerName(c);
      const res = await ctx.net.http({
        url: `${target.base}${path}?tailLines=${TAIL_LINES}`,
        credential: target.secret,
      });
      if (res.status !== 200) {
        ctx.log(`GET ${path}: ${refusal(res)}`);
        continue;
      }
      if (res.body.length === 0) continue;
      ctx.report({
        kb: 'KF-KUBELET-102',
        host: target.host,
        port: target.port,
        path,
        object: `container ${where}`,
        identity: target.identity.name,
        evidence: `read the last ${lineCount(res.text())} line(s) (${res.body.length} bytes) of ${where} as ${target.identity.name}`,
        proof: true,
      });
      return;
    }
  },
});

/** Log files worth reading first: the node's general logs, which every distribution has one of. */
const PREFERRED = ['syslog', 'messages', 'dpkg.log', 'alternatives.log'];

/**
 * Proves that the node's /var/log is readable through the kubelet: lists /logs/ and reads one log file.
 * The evidence names the files and the size read, not their content.
 */
export const kubeletActiveSystemLogs = defineHunter({
  id: 'kubelet-active-system-logs',
  title: "Reads the node's system logs through the kubelet's /logs/",
  mode: 'active',
  on: 'Finding',
  when: (f) => f.kb === 'KF-KUBELET-012',
  subject: perKubelet,
  reports: ['KF-KUBELET-103'],
  changes: "lists /logs/ and reads one of the node's log files (read only)",
  async hunt(finding, ctx) {
    const target = kubeletTarget(ctx, finding);
    if (!target) return;
    const listing = await ctx.net.http({ url: `${target.base}/logs/`, credential: target.secret });
    if (listing.status !== 200) {
      ctx.log(`GET /logs/: ${refusal(listing)}`);
      return;
    }
    const names = listedEntries(listing) ?? [];
    const files = names.filter((n) => !n.endsWith('/'));
    const file = PREFERRED.find((p) => files.includes(p)) ?? files[0];
    if (!file) return;
    const res = await ctx.net.http({
      url: `${target.base}/logs/${encodeURIComponent(file)}`,
      credential: target.secret,
    });
    if (res.status !== 200) {
      ctx.log(`GET /logs/${file}: ${refusal(res)}`);
      return;
    }
    const shown = names.slice(0, 8).join(', ');
    ctx.report({
      kb: 'KF-KUBELET-103',
      host: target.host,
      port: target.port,
      path: `/logs/${file}`,
      identity: target.identity.name,
      evidence: `/logs/ lists ${names.length} entries (${shown}${names.length > 8 ? ', …' : ''}); read /logs/${file} (${res.body.length} bytes) as ${target.identity.name}`,
      proof: true,
    });
  },
});
