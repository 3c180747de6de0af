import { defineHunter, type HuntContext } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { askMetadata, CLOUD_TRIGGER, listing, metadataEndpoint, okJson, okText, shown } from './metadata.js';

const META = '/latest/meta-data/';
/** Long enough for the few reads that follow, short enough to be worthless afterwards. */
const SESSION_TTL_SECONDS = '60';

/** An IMDS directory listing: the keys every EC2 instance has. */
function looksLikeImds(text: string | undefined): boolean {
  return text !== undefined && listing(text).some((l) => l === 'instance-id' || l === 'ami-id');
}

/**
 * The EC2 instance metadata service (KHV053) from the pod. IMDSv1 is asked first with a plain GET; only
 * when it answers 401 (IMDSv2 required) is a session token asked for, with the PUT that IMDSv2's read
 * protocol consists of: it creates a 60-second token held by the caller and changes nothing on the
 * instance or in the cluster (see README.md). Whether the pod gets that token is the point: with a hop
 * limit of 1 it does not.
 */
export const awsMetadataHunter = defineHunter({
  id: 'cloud-aws-metadata',
  title: 'AWS instance metadata reachable from the pod',
  mode: 'passive',
  ...CLOUD_TRIGGER,
  reports: ['KF-CLOUD-001', 'KF-CLOUD-005'],
  readOnlyRequests: [
    {
      method: 'PUT',
      path: '/latest/api/token',
      why: "IMDSv2's read protocol: a 60-second session token held by the caller, nothing changed on the instance",
    },
  ],
  async hunt(_credential, ctx) {
    const endpoint = metadataEndpoint(ctx);
    if (!endpoint) return;
    const ask = (path: string, headers?: Record<string, string>, method?: 'PUT') =>
      askMetadata(ctx, endpoint, { path, headers, method });
    const plain = await ask(META);
    let headers: Record<string, string> | undefined;
    let how = 'IMDSv1: a plain GET answered, no session token needed';
    let index = okText(plain);
    if (plain?.status === 401) {
      const session = okText(
        await ask('/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': SESSION_TTL_SECONDS }, 'PUT'),
      );
      if (!session) {
        ctx.log('IMDSv2 required and no session token reached the pod (hop limit 1)');
        return;
      }
      headers = { 'x-aws-ec2-metadata-token': session.trim() };
      how = 'IMDSv2: the pod obtained a session token (PUT /latest/api/token), so the hop limit lets pods in';
      index = okText(await ask(META, headers));
    }
    if (!looksLikeImds(index)) return;
    const instance = shown(okText(await ask(`${META}instance-id`, headers)));
    ctx.report({
      kb: 'KF-CLOUD-001',
      host: endpoint.host,
      port: endpoint.port,
      path: META,
      evidence: `${how}; instance ${instance ?? 'id not given'}, ${listing(index!).length} metadata keys`,
    });
    await reportRoleCredentials(ctx, endpoint, ask, headers);
  },
});

async function reportRoleCredentials(
  ctx: HuntContext,
  endpoint: { host: string; port: number },
  ask: (path: string, headers?: Record<string, string>) => Promise<HttpResponse | undefined>,
  headers: Record<string, string> | undefined,
): Promise<void> {
  const rolesPath = `${META}iam/security-credentials/`;
  const role = listing(okText(await ask(rolesPath, headers)) ?? '')[0];
  if (!role || !/^[\w+=,.@-]{1,128}$/.test(role)) return;
  const path = `${rolesPath}${role}`;
  const creds = okJson(await ask(path, headers), ctx);
  if (!creds || typeof creds.SecretAccessKey !== 'string') return;
  const fields = ['AccessKeyId', 'SecretAccessKey', 'Token'].filter((k) => typeof creds[k] === 'string');
  const expires = shown(creds.Expiration);
  ctx.report({
    kb: 'KF-CLOUD-005',
    host: endpoint.host,
    port: endpoint.port,
    path,
    object: `AWS instance role ${role}`,
    evidence: `instance role ${role}: ${fields.join(', ')} returned to the pod${expires ? `, expiring ${expires}` : ''} (values not shown)`,
  });
}
