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
/** Nodes per page (kubectl's chunk size), and the most bytes a page may have (a node is a few KB). */
const NODE_PAGE = 500;
const NODE_PAGE_MAX_BYTES = 16 * 1024 * 1024;

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
      const list = `${event.scheme}://${hostPort(event.host, event.port)}/api/v1/nodes?limit=${NODE_PAGE}`;
      const gap = (reason: 'cap' | 'page-failed' | 'error', detail: string) =>
        ctx.gap({ host: event.host, port: event.port, subject: `nodes as ${credential.name}`, reason, detail }, [
          event.id,
          credential.id,
        ]);
      // Page by page to the end, as kubectl does: a cluster of thousands of nodes is megabytes of them.
      let next: string | undefined;
      let listed = 0;
      let pages = 0;
      do {
        const url = next === undefined ? list : `${list}&continue=${encodeURIComponent(next)}`;
        const res = await ctx.net
          .http({ url, credential: credential.secret, maxBytes: NODE_PAGE_MAX_BYTES })
          .catch((err: Error) => {
            ctx.log(`listing nodes as ${credential.name}: ${err.message}`);
            // An untrusted server: the credential hunter says so in a line when it runs; the report keeps it
            // either way. A failure after the first page leaves the list half read, which the report says too.
            if ((err instanceof NetError && err.kind === 'untrusted') || pages > 0)
              gap(
                'error',
                `not listed with ${credential.name}: ${err.message}${pages > 0 ? ` (${listed} nodes listed)` : ''}`,
              );
            return undefined;
          });
        if (!res) break;
        if (res.status !== 200) {
          ctx.log(`listing nodes as ${credential.name}: HTTP ${res.status}`);
          if (pages > 0) gap('page-failed', `page ${pages + 1} answered ${res.status} after ${listed} nodes`);
          break;
        }
        if (res.truncated) {
          gap(
            'cap',
            `page ${pages + 1} of the node list is larger than ${NODE_PAGE_MAX_BYTES / 1024 / 1024} MiB; ${listed} nodes listed`,
          );
          break;
        }
        let body: (NodeList & { metadata?: { continue?: unknown } }) | undefined;
        try {
          body = res.json();
        } catch {
          body = undefined;
        }
        if (!body || !Array.isArray(body.items)) {
          gap(pages === 0 ? 'error' : 'page-failed', `page ${pages + 1} is not a node list; ${listed} nodes listed`);
          break;
        }
        for (const a of nodeAddresses(body)) {
          observeNodeOs(ctx, a, [event.id, credential.id]);
          ctx.publish(
            'AddressLearned',
            {
              address: a.address,
              origin: `node ${a.node} (${a.type}) listed by ${credential.name} on ${hostPort(event.host, event.port)}`,
              inScope: ctx.net.inScope(a.address),
              node: { name: a.node, host: event.host, port: event.port },
            },
            [event.id, credential.id],
          );
        }
        listed += body.items.length;
        pages++;
        const token = typeof body.metadata?.continue === 'string' ? body.metadata.continue : '';
        if (token !== '' && token === next) {
          gap('page-failed', `page ${pages} gave back its own continue token after ${listed} nodes`);
          break;
        }
        next = token === '' ? undefined : token;
      } while (next);
    }
  },
});
