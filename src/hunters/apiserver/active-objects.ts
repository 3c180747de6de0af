import { objectName, PURPOSE_ANNOTATION, runLabels } from '../../active/naming.js';
import { refusal } from '../../active/send.js';
import { baseUrl, JSON_MERGE_PATCH } from '../../active/toolkit.js';
import type { ChangeIdentity, ChangeOutcome } from '../../core/changes.js';
import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { ownNamespace } from './credential-namespace.js';

/** A harmless image whose only process sleeps, and the command that runs it. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.9';
const PAUSE_COMMAND = ['/pause'];

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

/** One kind of object this hunter proves it can create, patch and delete, with the proofs for each step. */
interface Kind {
  kind: string;
  /** The word in `can` keys and actions: `create roles`. */
  resource: string;
  collection: (namespace: string) => string;
  proofs: { created: string; patched: string; deleted: string };
}

const ROLE: Kind = {
  kind: 'Role',
  resource: 'roles',
  collection: (ns) => `${RBAC}/namespaces/${ns}/roles`,
  proofs: { created: 'KF-API-103', patched: 'KF-API-104', deleted: 'KF-API-105' },
};
const CLUSTER_ROLE: Kind = {
  kind: 'ClusterRole',
  resource: 'clusterroles',
  collection: () => `${RBAC}/clusterroles`,
  proofs: { created: 'KF-API-106', patched: 'KF-API-107', deleted: 'KF-API-108' },
};
const POD: Kind = {
  kind: 'Pod',
  resource: 'pods',
  collection: (ns) => `/api/v1/namespaces/${ns}/pods`,
  proofs: { created: 'KF-API-110', patched: 'KF-API-111', deleted: 'KF-API-112' },
};

/**
 * The pod of the proof: a process that does nothing, and no service-account token. Privileged, it asks for
 * everything an attacker would (privileged, the node's PID and network namespaces, the node's root
 * filesystem, read-only); unprivileged, for clusters whose admission refuses that, it asks for nothing.
 */
function proofPod(metadata: object, privileged: boolean): object {
  const host = privileged
    ? {
        pod: {
          hostPID: true,
          hostNetwork: true,
          volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
        },
        container: {
          securityContext: { privileged: true },
          volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true }],
        },
      }
    : {
        pod: {},
        container: { securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 65535 } },
      };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      ...host.pod,
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'proof', image: PAUSE_IMAGE, command: PAUSE_COMMAND, ...host.container }],
    },
  };
}

/** Refused by admission (Pod Security, a policy engine) or validation rather than by RBAC. */
function refusedByPolicy(outcome: ChangeOutcome): boolean {
  const res = outcome.response;
  if (!res) return false;
  if (res.status === 400 || res.status === 422) return true;
  return res.status === 403 && /PodSecurity|violates|admission|denied the request/i.test(res.text());
}

/** A policy refusal that names what it refused about the pod: privilege or Pod Security, not some other field. */
function refusesPrivilege(outcome: ChangeOutcome): boolean {
  return refusedByPolicy(outcome) && /privileged|PodSecurity|cluster policy/i.test(outcome.response?.text() ?? '');
}

/**
 * Where an identity most likely may create things when it may not create a namespace: its credential's own
 * namespace (a pod's or a found token's, or the one in a service-account token's claims), else `default`.
 */
function homeNamespace(event: KfEvent<'ApiAccess'>, ctx: HuntContext): string {
  const name = event.credential ?? event.identity;
  const credential = event.via === 'credential' ? ctx.known('Credential', (c) => c.name === name)[0] : undefined;
  return credential ? ownNamespace(credential) : 'default';
}

class Prover {
  readonly base: string;
  readonly identity: ChangeIdentity;
  readonly name: string;

  constructor(
    readonly event: KfEvent<'ApiAccess'>,
    readonly ctx: HuntContext,
  ) {
    this.base = baseUrl(event.scheme, event.host, event.port);
    this.identity = {
      name: event.identity,
      ...(event.via === 'credential' && { credential: event.credential ?? event.identity }),
    };
    this.name = objectName(ctx.runId, event.identity, `${event.host}:${event.port}`);
  }

  /** False only when the passive hunter checked and found the identity may not. */
  mayTry(verb: string, resource: string): boolean {
    return this.event.can[`${verb} ${resource}`] !== false;
  }

  metadata(namespace?: string): object {
    return {
      name: this.name,
      ...(namespace && { namespace }),
      labels: runLabels(this.ctx.runId),
      annotations: PURPOSE_ANNOTATION,
    };
  }

  prove(kb: string, path: string, object: string, evidence: string): void {
    if (this.ctx.signal.aborted) return;
    this.ctx.report({
      kb,
      host: this.event.host,
      port: this.event.port,
      path,
      object,
      identity: this.event.identity,
      evidence: `${evidence} as ${this.event.identity}`,
      proof: true,
    });
  }

  create(what: string, collection: string, body: object, undoQuery = ''): Promise<ChangeOutcome> {
    const url = `${this.base}${collection}`;
    return this.ctx.change({
      action: `create ${what}`,
      target: url,
      identity: this.identity,
      apply: { method: 'POST', url, body: JSON.stringify(body) },
      undo: {
        method: 'DELETE',
        url: `${url}/${this.name}${undoQuery}`,
        description: `delete ${what}`,
        // A namespace stays Terminating while it is emptied: it is undone once a GET answers 404.
        ...(what.startsWith('namespace') && { confirmGone: `${url}/${this.name}` }),
      },
    });
  }

  /** Adds a label to an object `created` made, and takes it off again as the undo. */
  patch(what: string, url: string, created: ChangeOutcome): Promise<ChangeOutcome> {
    const label = (value: string | null) => JSON.stringify({ metadata: { labels: { 'kubeferret/patched': value } } });
    return this.ctx.change({
      action: `patch ${what} (add label kubeferret/patched)`,
      target: url,
      identity: this.identity,
      apply: { method: 'PATCH', url, body: label('true'), contentType: JSON_MERGE_PATCH },
      undo: {
        method: 'PATCH',
        url,
        body: label(null),
        contentType: JSON_MERGE_PATCH,
        description: `patch ${what} (remove label kubeferret/patched)`,
      },
      partOf: created,
    });
  }

  /** Create, patch, delete one object; each step that succeeds is a proof. */
  async cycle(kind: Kind, namespace: string | undefined, body: object): Promise<void> {
    if (!this.mayTry('create', kind.resource)) return;
    const collection = kind.collection(namespace ?? '');
    const what = `${kind.kind.toLowerCase()} ${namespace ? `${namespace}/` : ''}${this.name}`;
    const made = await this.create(what, collection, body);
    await this.follow(kind, namespace, what, collection, made, kind.proofs.created);
  }

  async follow(
    kind: Kind,
    namespace: string | undefined,
    what: string,
    collection: string,
    made: ChangeOutcome,
    created: string,
  ): Promise<void> {
    if (made.state === 'refused') {
      this.ctx.log(`create ${what}: ${made.response ? refusal(made.response) : 'refused'}`);
      return;
    }
    const object = `${kind.kind.toLowerCase()} ${namespace ? `${namespace}/` : ''}${this.name}`;
    if (made.state === 'applied')
      this.prove(created, collection, object, `created ${what} (HTTP ${made.response?.status})`);
    const url = `${this.base}${collection}/${this.name}`;
    const patched = await this.patch(what, url, made);
    if (patched.state === 'applied')
      this.prove(kind.proofs.patched, `${collection}/${this.name}`, object, `patched ${what}`);
    const deleted = await made.undo();
    if (deleted.state === 'undone') {
      this.prove(
        kind.proofs.deleted,
        `${collection}/${this.name}`,
        object,
        `deleted ${what} (HTTP ${deleted.response?.status})`,
      );
    }
  }

  async pod(namespace: string): Promise<void> {
    if (!this.mayTry('create', 'pods')) return;
    const collection = POD.collection(namespace);
    const what = `pod ${namespace}/${this.name}`;
    const privileged = await this.create(
      `privileged ${what}`,
      collection,
      proofPod(this.metadata(namespace), true),
      '?gracePeriodSeconds=0',
    );
    if (privileged.state !== 'refused' || !refusedByPolicy(privileged)) {
      await this.follow(POD, namespace, what, collection, privileged, POD.proofs.created);
      return;
    }
    this.ctx.log(`privileged ${what} refused by policy: ${refusal(privileged.response!)}; trying an unprivileged pod`);
    if (refusesPrivilege(privileged) && !this.ctx.signal.aborted) {
      // A defence that held: reported as such (the unprivileged pod below is reported on its own).
      this.ctx.report({
        kb: 'KF-API-201',
        host: this.event.host,
        port: this.event.port,
        path: collection,
        object: what,
        identity: this.event.identity,
        evidence: `create privileged ${what} (privileged container, host PID and network, host / read-only) as ${this.event.identity} → ${refusal(privileged.response!)}`,
      });
    }
    const plain = await this.create(
      what,
      collection,
      proofPod(this.metadata(namespace), false),
      '?gracePeriodSeconds=0',
    );
    await this.follow(POD, namespace, what, collection, plain, 'KF-API-109');
  }
}

/**
 * Proves what an identity may change on an API server the way an attacker would: it creates a namespace,
 * a role, a cluster role and a privileged pod, patches and deletes each, and reports every step that worked
 * as a separate proof naming the identity. Objects are named `kubeferret-<run id>-…`, labelled with the
 * run id, and go into the namespace it created (or the identity's own, or `default`).
 */
export const apiserverActiveObjects = defineHunter({
  id: 'apiserver-active-objects',
  title: 'Proves write access to the API: namespace, role, cluster role, privileged pod',
  mode: 'active',
  on: 'ApiAccess',
  when: (e) => e.via !== 'kubectl-proxy',
  reports: [
    'KF-API-101',
    'KF-API-102',
    'KF-API-103',
    'KF-API-104',
    'KF-API-105',
    'KF-API-106',
    'KF-API-107',
    'KF-API-108',
    'KF-API-109',
    'KF-API-110',
    'KF-API-111',
    'KF-API-112',
    'KF-API-201',
  ],
  changes:
    'creates, patches and deletes a namespace, a role, a cluster role and a privileged pod (pause image, host / read-only) named kubeferret-<run id>-…',
  timeoutMs: 120_000,
  async hunt(event, ctx) {
    const p = new Prover(event, ctx);
    let namespace = homeNamespace(event, ctx);
    let ns: ChangeOutcome | undefined;
    if (p.mayTry('create', 'namespaces')) {
      ns = await p.create(`namespace ${p.name}`, '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: p.metadata(),
      });
      if (ns.state === 'applied') {
        p.prove(
          'KF-API-101',
          '/api/v1/namespaces',
          `namespace ${p.name}`,
          `created namespace ${p.name} (HTTP ${ns.response?.status})`,
        );
      }
      if (ns.state !== 'refused') namespace = p.name;
    }
    await p.cycle(ROLE, namespace, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: p.metadata(namespace),
      rules: [],
    });
    await p.cycle(CLUSTER_ROLE, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: p.metadata(),
      rules: [],
    });
    await p.pod(namespace);
    if (ns && ns.state !== 'refused') {
      const deleted = await ns.undo();
      if (deleted.state === 'undone' || deleted.state === 'terminating') {
        const how =
          deleted.state === 'undone'
            ? `deleted namespace ${p.name} (HTTP ${deleted.response?.status}, then gone)`
            : `deletion of namespace ${p.name} accepted (HTTP ${deleted.response?.status}), ${deleted.error?.replace(/^still terminating: deletion accepted \(HTTP \d+\), /, 'still terminating: ')}`;
        p.prove('KF-API-102', `/api/v1/namespaces/${p.name}`, `namespace ${p.name}`, how);
      }
    }
  },
});
