import { defineHunter } from '../../core/hunter.js';
import { nodeAddresses, observeNodeOs } from '../../discovery/nodes.js';
import { askerOf, followsUp } from './access-identity.js';
import { askApi, endpointLabel, netFailure } from './api.js';

/**
 * Node addresses learned from the API: every identity that may list nodes reveals where the kubelets are.
 * Each address is published as AddressLearned, in scope or not; none is contacted here. With
 * `--discover-nodes`, discovery's `discover-nodes` lists them with every credential and scans those in
 * scope, so this hunter leaves credentials to it and adds only what anonymous callers and the insecure
 * port see.
 */
export const nodeAddressesHunter = defineHunter({
  id: 'apiserver-node-addresses',
  title: 'Node addresses an identity can list through the API',
  mode: 'passive',
  on: 'ApiAccess',
  when: (a) => a.can['list nodes'] === true && followsUp(a),
  async hunt(access, ctx) {
    if (access.via === 'credential' && ctx.options.discoverNodes) return;
    const asker = askerOf(ctx, access);
    if (!asker) return;
    const target = { host: access.host, port: access.port, scheme: access.scheme };
    let body: unknown;
    try {
      const answer = await askApi(ctx, target, { path: '/api/v1/nodes?limit=500', credential: asker.credential });
      body = answer.kind === 'ok' ? answer.body : undefined;
    } catch (err) {
      ctx.log(`listing nodes as ${access.identity}: ${netFailure(err)}`);
      return;
    }
    for (const a of nodeAddresses(body)) {
      observeNodeOs(ctx, a);
      ctx.publish('AddressLearned', {
        address: a.address,
        origin: `node ${a.node} (${a.type}) listed by ${access.identity} on ${endpointLabel(target)}`,
        inScope: ctx.net.inScope(a.address),
      });
    }
  },
});
