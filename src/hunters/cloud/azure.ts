import { defineHunter } from '../../core/hunter.js';
import { askMetadata, CLOUD_TRIGGER, metadataEndpoint, okJson, shown } from './metadata.js';

const INSTANCE = '/metadata/instance?api-version=2021-02-01';
const TOKEN = `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent('https://management.azure.com/')}`;
const HEADERS = { metadata: 'true' };

/**
 * The Azure Instance Metadata Service (KHV003) from the pod, with the `Metadata: true` header and an
 * api-version it requires. A managed-identity token issued to the pod is reported by client id and expiry
 * only.
 */
export const azureMetadataHunter = defineHunter({
  id: 'cloud-azure-metadata',
  title: 'Azure instance metadata reachable from the pod',
  mode: 'passive',
  ...CLOUD_TRIGGER,
  reports: ['KF-CLOUD-003', 'KF-CLOUD-005'],
  async hunt(_credential, ctx) {
    const endpoint = metadataEndpoint(ctx);
    if (!endpoint) return;
    const instance = okJson(await askMetadata(ctx, endpoint, { path: INSTANCE, headers: HEADERS }), ctx);
    const compute = instance?.compute as Record<string, unknown> | undefined;
    if (!compute || typeof compute !== 'object' || typeof compute.vmId !== 'string') return;
    const at = { host: endpoint.host, port: endpoint.port };
    const name = shown(compute.name) ?? '?';
    const location = shown(compute.location);
    ctx.report({
      ...at,
      kb: 'KF-CLOUD-003',
      path: INSTANCE,
      evidence: `answered with Metadata: true; VM ${name}${location ? ` in ${location}` : ''}`,
    });
    const token = okJson(await askMetadata(ctx, endpoint, { path: TOKEN, headers: HEADERS }), ctx);
    if (!token || typeof token.access_token !== 'string') return;
    const client = shown(token.client_id);
    const expires = shown(token.expires_on);
    ctx.report({
      ...at,
      kb: 'KF-CLOUD-005',
      path: TOKEN,
      object: `Azure managed identity${client ? ` ${client}` : ''}`,
      evidence: `a managed-identity token for https://management.azure.com/ was issued to the pod${expires ? `, expiring at ${expires} (Unix time)` : ''} (not shown)`,
    });
  },
});
