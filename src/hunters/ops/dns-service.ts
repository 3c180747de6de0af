import type { HuntContext } from '../../core/hunter.js';
import type { Asker } from '../apiserver/access.js';
import { type ApiTarget, askApi, endpointLabel, netFailure } from '../apiserver/api.js';
import { DNS_SERVICE } from './dns.js';
import type { OpsObject } from './objects.js';

// The cluster DNS Service read through the API, for KF-OPS-008 (whether DNS goes over UDP through IPVS):
// the one read both of its paths share, the kube-proxy ConfigMap's (apiserver-workloads) and a running
// kube-proxy's (kube-proxy-mode.ts). I/O, unlike the checks beside it: it asks the API server.

/** An identity on an API server that may be asked for the Service. */
export interface DnsServiceReader {
  target: ApiTarget;
  asker: Asker;
}

export interface DnsServiceRead {
  /** The Service as an object for the checks (dnsServiceUdp), when an identity read it. */
  object?: OpsObject;
  /** Who read it (`read as reader at 127.0.0.1:6443`), or what each identity was answered when none did. */
  how: string;
}

const PATH = `/api/v1/namespaces/${DNS_SERVICE.namespace}/services/${DNS_SERVICE.name}`;

/**
 * kube-system/kube-dns, asked of each reader in turn until one reads it (one GET each; the first that
 * reads it ends the asking). None read it: `how` names each answer (denied, absent, a network failure),
 * and the finding that asked stands, saying the Service was not read.
 */
export async function readDnsService(ctx: HuntContext, readers: readonly DnsServiceReader[]): Promise<DnsServiceRead> {
  const answers: string[] = [];
  for (const { target, asker } of readers) {
    if (ctx.signal.aborted) break;
    const who = `${asker.identity} at ${endpointLabel(target)}`;
    try {
      const answer = await askApi(ctx, target, { path: PATH, credential: asker.credential, host: asker.host });
      if (answer.kind === 'ok') {
        return { object: { kind: 'Service', item: answer.body as OpsObject['item'] }, how: `read as ${who}` };
      }
      answers.push(
        `${who}: ${answer.kind === 'unusable' ? answer.why : answer.kind === 'absent' ? 'no such Service (404)' : answer.status}`,
      );
    } catch (err) {
      answers.push(`${who}: ${netFailure(err)}`);
    }
  }
  return {
    how: answers.length === 0 ? 'no API identity in the run to read it' : `asked as ${answers.join('; ')}`,
  };
}
