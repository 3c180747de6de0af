import { defineHunter } from '../../core/hunter.js';
import { nodeAddresses, observeNodeOs } from '../../discovery/nodes.js';
import { askerOf, followsUp } from './access-identity.js';
import { endpointLabel } from './api.js';
import { readEach, type Source } from './workloads.js';

const NODES: Source = { kind: 'Node', resource: 'nodes', api: '/api/v1' };

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
    // Every page to the end: a cluster of thousands of nodes lists its lab's kubelets after the rest, and
    // a page cut short is a coverage gap (readEach), never a silent half.
    await readEach(ctx, target, asker, NODES, (node) => {
      for (const a of nodeAddresses({ items: [node] })) {
        observeNodeOs(ctx, a);
        ctx.publish('AddressLearned', {
          address: a.address,
          origin: `node ${a.node} (${a.type}) listed by ${access.identity} on ${endpointLabel(target)}`,
          inScope: ctx.net.inScope(a.address),
          node: { name: a.node, host: access.host, port: access.port },
        });
      }
    });
  },
});
