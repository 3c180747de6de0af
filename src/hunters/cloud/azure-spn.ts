import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { parseBounded } from '../../net/json-stream.js';
import { readMountTable } from '../pod/host-mounts.js';
import { readPodFile } from '../pod/pod-files.js';
import { CLOUD_TRIGGER } from './metadata.js';

/** Where AKS (and aks-engine) nodes keep the cluster's cloud-provider configuration. */
const AZURE_JSON = '/etc/kubernetes/azure.json';
const FIELDS = ['tenantId', 'subscriptionId', 'aadClientId', 'aadClientSecret'];

/**
 * Where the node's azure.json can be seen from the pod: at its own path, or inside a host mount that
 * covers it (mountinfo names the host directory of each mount).
 */
function candidates(ctx: HuntContext): { path: string; host: string }[] {
  const out = [{ path: AZURE_JSON, host: AZURE_JSON }];
  for (const m of readMountTable(ctx)?.mounts ?? []) {
    if (m.root === undefined) continue;
    const root = m.root === '/' ? '' : m.root;
    if (AZURE_JSON !== root && !AZURE_JSON.startsWith(`${root}/`)) continue;
    const path = `${m.mountPoint === '/' ? '' : m.mountPoint}${AZURE_JSON.slice(root.length)}`;
    if (!out.some((c) => c.path === path)) out.push({ path, host: AZURE_JSON });
  }
  return out;
}

/**
 * The cluster's Azure service principal (KHV004): azure.json readable from the pod, holding a client
 * secret. Read from the pod's own filesystem; only which fields are present is reported.
 */
export const azureSpnHunter = defineHunter({
  id: 'cloud-azure-spn',
  title: 'Azure service principal secret readable from the pod (azure.json)',
  mode: 'passive',
  ...CLOUD_TRIGGER,
  reports: ['KF-CLOUD-004'],
  async hunt(_credential, ctx) {
    if (!ctx.options.cloud) return;
    for (const c of candidates(ctx)) {
      const text = readPodFile(ctx, c.path);
      if (text === undefined) continue;
      // A file of the target's: depth-bounded like any answer of it.
      const config = parseBounded<Record<string, unknown>>(text);
      if (config === undefined) {
        // A file that looks like JSON but could not be read may still hold the secret: not examined.
        if (/^\s*[[{]/.test(text)) {
          ctx.gap({
            subject: `file ${c.path}`,
            reason: 'cap',
            detail: 'its JSON could not be read (malformed, or nested deeper than 64 levels)',
          });
        } else ctx.log(`${c.path} is not JSON`);
        continue;
      }
      if (typeof config?.aadClientSecret !== 'string' || config.aadClientSecret === '') continue;
      const present = FIELDS.filter((f) => typeof config[f] === 'string' && config[f] !== '');
      const via = c.path === c.host ? '' : ` (the node's ${c.host} through a host mount)`;
      ctx.report({
        kb: 'KF-CLOUD-004',
        path: c.path,
        object: `file ${c.path}`,
        evidence: `${c.path}${via} is readable and holds ${present.join(', ')} (values not shown)`,
      });
    }
  },
});
