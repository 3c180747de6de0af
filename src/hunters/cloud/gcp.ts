import { defineHunter } from '../../core/hunter.js';
import { askMetadata, CLOUD_TRIGGER, listing, metadataEndpoint, okJson, okText, shown } from './metadata.js';

const BASE = '/computeMetadata/v1';
const FLAVOR = { 'metadata-flavor': 'Google' };

/**
 * The Compute Engine metadata server from the pod, asked at the metadata address (where
 * metadata.google.internal points, so no DNS query leaves the pod) with `Metadata-Flavor: Google`, which it
 * answers in kind. The node's service-account token, when the pod gets one, is reported by account and
 * lifetime only.
 */
export const gcpMetadataHunter = defineHunter({
  id: 'cloud-gcp-metadata',
  title: 'GCP instance metadata reachable from the pod',
  mode: 'passive',
  ...CLOUD_TRIGGER,
  reports: ['KF-CLOUD-002', 'KF-CLOUD-005'],
  async hunt(_credential, ctx) {
    const endpoint = metadataEndpoint(ctx);
    if (!endpoint) return;
    const ask = (path: string) => askMetadata(ctx, endpoint, { path: `${BASE}${path}`, headers: FLAVOR });
    const res = await ask('/instance/id');
    const id = okText(res);
    if (id === undefined || res?.headers['metadata-flavor'] !== 'Google') return;
    const project = shown(okText(await ask('/project/project-id')));
    const attributes = listing(okText(await ask('/instance/attributes/')) ?? '');
    const kubeEnv = attributes.includes('kube-env')
      ? '; the kube-env attribute (the kubelet bootstrap credentials) is listed'
      : '';
    const at = { host: endpoint.host, port: endpoint.port };
    ctx.report({
      ...at,
      kb: 'KF-CLOUD-002',
      path: `${BASE}/instance/id`,
      evidence: `answered with Metadata-Flavor: Google; instance ${shown(id) ?? '?'}${project ? ` in project ${project}` : ''}${kubeEnv}`,
    });
    const accounts = listing(okText(await ask('/instance/service-accounts/')) ?? '').map((a) => a.replace(/\/$/, ''));
    if (!accounts.includes('default')) return;
    const email = shown(okText(await ask('/instance/service-accounts/default/email')), 120) ?? 'default';
    const tokenPath = '/instance/service-accounts/default/token';
    const token = okJson(await ask(tokenPath), ctx);
    if (!token || typeof token.access_token !== 'string') return;
    const expires = shown(token.expires_in);
    ctx.report({
      ...at,
      kb: 'KF-CLOUD-005',
      path: `${BASE}${tokenPath}`,
      object: `GCP service account ${email}`,
      evidence: `an access token of service account ${email} was issued to the pod${expires ? `, valid ${expires} s` : ''} (not shown)`,
    });
  },
});
