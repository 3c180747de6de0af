import { defineHunter } from '../../core/hunter.js';
import { normalizeAddress } from '../../net/scope.js';
import { askerOf } from './access-identity.js';
import { askApi, endpointLabel, netFailure } from './api.js';

interface NodeList {
  items?: Array<{
    metadata?: { name?: unknown };
    status?: { addresses?: Array<{ type?: unknown; address?: unknown }> };
  }>;
}

const ADDRESS_TYPES = new Set(['InternalIP', 'ExternalIP']);

/**
 * Node addresses learned from the API: every identity that may list nodes reveals where the kubelets are.
 * Each address is published as AddressLearned, in scope or not; none is contacted here (`--discover-nodes`
 * scans those inside the scope).
 */
export const nodeAddressesHunter = defineHunter({
  id: 'apiserver-node-addresses',
  title: 'Node addresses an identity can list through the API',
  mode: 'passive',
  on: 'ApiAccess',
  when: (a) => a.can['list nodes'] === true,
  async hunt(access, ctx) {
    const asker = askerOf(ctx, access);
    if (!asker) return;
    const target = { host: access.host, port: access.port, scheme: access.scheme };
    let list: NodeList | undefined;
    try {
      const answer = await askApi(ctx, target, { path: '/api/v1/nodes?limit=500', credential: asker.credential });
      list = answer.kind === 'ok' ? (answer.body as NodeList) : undefined;
    } catch (err) {
      ctx.log(`listing nodes as ${access.identity}: ${netFailure(err)}`);
      return;
    }
    for (const node of Array.isArray(list?.items) ? list.items : []) {
      const name = typeof node?.metadata?.name === 'string' ? node.metadata.name : '?';
      for (const a of Array.isArray(node?.status?.addresses) ? node.status.addresses : []) {
        const address = typeof a?.address === 'string' ? normalizeAddress(a.address) : undefined;
        if (!address || !ADDRESS_TYPES.has(String(a.type))) continue;
        ctx.publish('AddressLearned', {
          address,
          origin: `node ${name} (${a.type}) listed by ${access.identity} on ${endpointLabel(target)}`,
          inScope: ctx.net.inScope(address),
        });
      }
    }
  },
});
