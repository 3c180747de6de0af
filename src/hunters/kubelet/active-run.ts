import { refusal } from '../../active/send.js';
import { excerpt } from '../../active/toolkit.js';
import { defineHunter } from '../../core/hunter.js';
import { containerName, kubeletPods, kubeletTarget, perKubelet, runningContainers, runUrl } from './active-pods.js';

/** Harmless commands whose output proves code ran in the container, and as whom, on which kernel. */
const COMMANDS = ['id', 'uname -a'];
/** Containers tried before giving up (a container without `id`, a distroless image, answers 500). */
const MAX_CONTAINERS = 3;

/**
 * Proves that the kubelet runs commands for the caller: `id` and `uname -a` through POST /run in a running
 * container, the first that answers. Nothing is left behind, so nothing is journalled; a dry run only plans
 * the requests.
 */
export const kubeletActiveRun = defineHunter({
  id: 'kubelet-active-run',
  title: 'Runs `id` and `uname -a` in a container through the kubelet',
  mode: 'active',
  on: 'Finding',
  when: (f) => f.kb === 'KF-KUBELET-006' || f.kb === 'KF-KUBELET-001',
  subject: perKubelet,
  reports: ['KF-KUBELET-101'],
  changes: 'runs `id` and `uname -a` in one running container through /run (prints only, changes nothing)',
  async hunt(finding, ctx) {
    const target = kubeletTarget(ctx, finding);
    if (!target) return;
    const pods = await kubeletPods(ctx, target);
    for (const c of runningContainers(pods ?? []).slice(0, MAX_CONTAINERS)) {
      const where = containerName(c);
      const outputs: string[] = [];
      let planned = false;
      for (const command of COMMANDS) {
        const url = runUrl(target.base, c, command);
        const ran = await ctx.change({
          action: `run \`${command}\` in ${where}`,
          target: url,
          identity: target.identity,
          apply: { method: 'POST', url },
          undo: null,
        });
        if (ran.state === 'planned') {
          planned = true;
          continue;
        }
        // Both commands always print something: an empty answer proves nothing ran.
        if (ran.state !== 'applied' || !ran.response || ran.response.text().trim() === '') {
          if (ran.response) ctx.log(`${command} in ${where}: ${refusal(ran.response)}`);
          break;
        }
        outputs.push(`\`${command}\` → ${excerpt(ran.response.text())}`);
      }
      // A dry run plans the commands in the first container only, as a run where they work would send.
      if (planned) return;
      if (outputs.length === 0) continue;
      ctx.report({
        kb: 'KF-KUBELET-101',
        host: target.host,
        port: target.port,
        path: `/run/${where}`,
        object: `container ${where}`,
        identity: target.identity.name,
        evidence: `ran in ${where} as ${target.identity.name}: ${outputs.join('; ')}`,
        proof: true,
      });
      return;
    }
  },
});
