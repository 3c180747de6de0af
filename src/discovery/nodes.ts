import { NetError } from '../core/errors.js';
import { defineHunter, type HuntContext } from '../core/hunter.js';
import { hostPort, normalizeAddress } from '../net/scope.js';

interface NodeList {
  items?: Array<{
    metadata?: { name?: unknown };
    status?: {
      addresses?: Array<{ type?: unknown; address?: unknown }>;
      nodeInfo?: { operatingSystem?: unknown; architecture?: unknown };
    };
  }>;
}

const ADDRESS_TYPES = new Set(['InternalIP', 'ExternalIP']);

export interface NodeAddress {
  node: string;
  type: string;
  address: string;
  /** The node's `status.nodeInfo.operatingSystem` (`linux`, `windows`), when it says. */
  os?: string;
}

/** The InternalIP and ExternalIP addresses of a NodeList, normalised; anything malformed is skipped. */
export function nodeAddresses(body: unknown): NodeAddress[] {
  const items = (body as NodeList | undefined)?.items;
  const out: NodeAddress[] = [];
  for (const node of Array.isArray(items) ? items : []) {
    const name = typeof node?.metadata?.name === 'string' ? node.metadata.name : '?';
    const os = node?.status?.nodeInfo?.operatingSystem;
    const addresses = node?.status?.addresses;
    for (const a of Array.isArray(addresses) ? addresses : []) {
      const address = typeof a?.address === 'string' ? normalizeAddress(a.address) : undefined;
      if (address && typeof a.type === 'string' && ADDRESS_TYPES.has(a.type))
        out.push({
          node: name,
          type: a.type,
          address,
          ...(typeof os === 'string' && /^[a-z0-9]{1,20}$/.test(os) && { os }),
        });
    }
  }
  return out;
}

/** A listed node's operating system, as a fact about its address for the CVE hunter's conditions. */
export function observeNodeOs(ctx: HuntContext, a: NodeAddress, parents?: string[]): void {
  if (!a.os) return;
  ctx.publish(
    'Observation',
    { host: a.address, fact: 'os', value: a.os, source: `Node ${a.node} status.nodeInfo.operatingSystem ${a.os}` },
    parents,
  );
}

/**
 * `--discover-nodes`: a node address inside the scope, learned by any hunter (this one, or an API server
 * hunter that listed nodes first), is scanned like a target, once.
 */
export const learnedNodeScanHunter = defineHunter({
  id: 'scan-learned-nodes',
  title: 'Scan node addresses learned through the API that fall inside the scope',
  mode: 'passive',
  on: 'AddressLearned',
  when: (e) => e.inScope,
  async hunt(event, ctx) {
    if (!ctx.options.discoverNodes) return;
    const ports = ctx.options.ports ?? [];
    await ctx.net.scan(event.address, ports, (port) =>
      ctx.publish('PortOpen', { host: event.address, port }, [event.id]),
    );
  },
});

/**
 * `--discover-nodes`: once an API server is found, each identity that belongs to it (or to no API server
 * in particular) lists the nodes. Every node address is published as AddressLearned; those inside the
 * scope (a `--scope` range the user gave) are scanned by `scan-learned-nodes`, the others are reported as
 * seen and never contacted.
 */
export const nodeDiscoveryHunter = defineHunter({
  id: 'discover-nodes',
  title: 'List the nodes through the API and scan those inside the scope',
  mode: 'passive',
  on: 'ServiceFound',
  when: (e) => e.kind === 'apiserver',
  async hunt(event, ctx) {
    if (!ctx.options.discoverNodes) return;
    const credentials = ctx.known(
      'Credential',
      (c) => !c.apiServer || (c.apiServer.host === event.host && c.apiServer.port === event.port),
    );
    for (const credential of credentials) {
      const url = `${event.scheme}://${hostPort(event.host, event.port)}/api/v1/nodes`;
      const res = await ctx.net.http({ url, credential: credential.secret }).catch((err: Error) => {
        ctx.log(`listing nodes as ${credential.name}: ${err.message}`);
        if (err instanceof NetError && err.kind === 'untrusted') {
          // The credential hunter says so in a line when it runs; the report keeps it either way.
          ctx.gap(
            {
              host: event.host,
              port: event.port,
              subject: `nodes as ${credential.name}`,
              reason: 'error',
              detail: `not listed with ${credential.name}: ${err.message}`,
            },
            [event.id, credential.id],
          );
        }
        return undefined;
      });
      if (!res) continue;
      if (res.status !== 200) {
        ctx.log(`listing nodes as ${credential.name}: HTTP ${res.status}`);
        continue;
      }
      for (const a of nodeAddresses(res.json())) {
        observeNodeOs(ctx, a, [event.id, credential.id]);
        ctx.publish(
          'AddressLearned',
          {
            address: a.address,
            origin: `node ${a.node} (${a.type}) listed by ${credential.name} on ${hostPort(event.host, event.port)}`,
            inScope: ctx.net.inScope(a.address),
          },
          [event.id, credential.id],
        );
      }
    }
  },
});
