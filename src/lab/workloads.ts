import { createHash, randomBytes } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { daemonPodAffinity, daemonPodTolerations } from '../kubernetes/daemon-pods.js';
import { admits, nodeFacts, placementOf } from '../kubernetes/node-fit.js';
import type { LabClock } from './clock.js';
import { controllerRef } from './owners.js';
import type { NodeSlot } from './pods.js';
import { groupVersion, type ResourceType } from './resources.js';
import { type KubeObject, type Store, timestamp } from './store.js';
import { daemonSetStatus, deploymentStatus, replicaSetStatus } from './workload-status.js';

// The workload controllers of kube-controller-manager, done at once so the state is settled when the API
// call returns: Deployments make ReplicaSets; ReplicaSets, StatefulSets, DaemonSets and Jobs make pods;
// CronJobs make Jobs when the lab clock passes a scheduled time; deleting an owner deletes what it owns.
// No containers run: the pods are admitted, scheduled and reported like any pod the lab creates, and
// Jobs stay active (they never complete), which their status says.

type Json = Record<string, unknown>;

export interface WorkloadDeps {
  store: Store;
  resources: readonly ResourceType[];
  nodes: NodeSlot[];
  clock: LabClock;
  minor: number;
  /** Creates an object through admission (pods are defaulted, scheduled and running) and its follow-ups. */
  create: (rt: ResourceType, object: KubeObject) => KubeObject;
}

/** Kubernetes' alphabet for generated name suffixes (no vowels, no look-alikes). */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const suffix = (bytes: Buffer, length: number) =>
  [...bytes.subarray(0, length)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
/** The pod-template-hash of a template: stable for the same template. */
export const templateHash = (template: unknown) =>
  suffix(
    createHash('sha256')
      .update(JSON.stringify(template ?? {}))
      .digest(),
    10,
  );
const randomSuffix = () => suffix(randomBytes(5), 5);

/**
 * The ControllerRevision a DaemonSet's controller keeps of its template (`<name>-<hash>`, numbered): what
 * `kubectl rollout history` reads and the pods' `controller-revision-hash` names.
 */
export function daemonSetRevision(ds: KubeObject, template: unknown, revision = 1): KubeObject {
  const hash = templateHash(template);
  const labels = (template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata.name}-${hash}`,
      namespace: ds.metadata.namespace,
      labels: { ...labels, 'controller-revision-hash': hash },
      annotations: { 'deprecated.daemonset.template.generation': String(ds.metadata.generation ?? 1) },
      ownerReferences: [controllerRef('DaemonSet', ds.metadata.name ?? '', ds.metadata.uid ?? '')],
    },
    // The template as a strategic merge patch that replaces the whole of it, as the controller stores it.
    data: { spec: { template: { $patch: 'replace', ...(template as object) } } },
    revision,
  };
}

/** Whether a ReplicaSet's template is the Deployment's (apart from the pod-template-hash label it adds). */
function sameTemplate(a: Template | undefined, b: Template | undefined): boolean {
  const strip = (t: Template | undefined) => {
    const { 'pod-template-hash': _, ...labels } = t?.metadata?.labels ?? {};
    return JSON.stringify({ ...t, metadata: { ...t?.metadata, labels } });
  };
  return strip(a) === strip(b);
}

const WORKLOAD_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
]);

interface Template {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Json;
}

export class WorkloadControllers {
  /** When the controllers started: what the lab seeded before is a picture of a cluster in use. */
  private readonly started: number;

  constructor(private readonly deps: WorkloadDeps) {
    // To the second, as creation timestamps are: what is created in the lab's first second is not seeded.
    this.started = Math.floor(deps.clock.now().getTime() / 1000) * 1000;
  }

  private rt(kind: string): ResourceType {
    const found = this.deps.resources.find((r) => r.kind === kind && r.group !== 'events.k8s.io');
    if (!found) throw new Error(`the lab serves no kind ${kind}`);
    return found;
  }

  /** After a workload was created or changed. */
  changed(rt: ResourceType, object: KubeObject): void {
    if (!WORKLOAD_KINDS.has(rt.kind) || object.metadata.deletionTimestamp) return;
    const current = this.deps.store.get(rt, object.metadata.namespace, object.metadata.name ?? '');
    if (!current) return;
    switch (rt.kind) {
      case 'Deployment':
        this.deployment(current);
        return;
      case 'ReplicaSet':
        this.replicaSet(current);
        return;
      case 'StatefulSet':
        this.statefulSet(current);
        return;
      case 'DaemonSet':
        this.daemonSet(current);
        return;
      case 'Job':
        this.job(current);
        return;
      case 'CronJob':
        this.cronJobs();
        return;
      case 'HorizontalPodAutoscaler':
        this.hpa(current);
        return;
    }
  }

  /** After a delete: whatever the object owned goes too (the garbage collector's background deletion). */
  deleted(rt: ResourceType, object: KubeObject): void {
    const uid = object.metadata.uid;
    if (!uid || !rt.namespaced) return;
    const ns = object.metadata.namespace;
    if (rt.kind === 'Pod') {
      // A controlled pod that goes (deleted, evicted by a drain) is replaced by its controller.
      const ref = object.metadata.ownerReferences?.find((r) => r.controller);
      const ownerType = ref && this.deps.resources.find((r) => r.kind === ref.kind && WORKLOAD_KINDS.has(r.kind));
      const owner = ownerType && this.deps.store.get(ownerType, ns, ref.name);
      if (ownerType && owner?.metadata.uid === ref.uid) this.changed(ownerType, owner);
      return;
    }
    for (const kind of ['ReplicaSet', 'ControllerRevision', 'Pod', 'Job']) {
      const dependents = this.rt(kind);
      for (const o of this.deps.store.list(dependents, ns)) {
        if (!o.metadata.ownerReferences?.some((r) => r.uid === uid)) continue;
        const gone = this.deps.store.remove(dependents, ns, o.metadata.name ?? '');
        if (gone) this.deleted(dependents, gone);
      }
    }
  }

  private owned(kind: string, owner: KubeObject): KubeObject[] {
    return this.deps.store
      .list(this.rt(kind), owner.metadata.namespace)
      .filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.controller));
  }

  private ownerRef(owner: KubeObject, rt: ResourceType) {
    return controllerRef(rt.kind, owner.metadata.name ?? '', owner.metadata.uid ?? '', groupVersion(rt));
  }

  /** Writes status (and other controller-owned fields) without waking the controllers again. */
  private settle(rt: ResourceType, object: KubeObject, status: Json, extra: Json = {}): void {
    const generation = object.metadata.generation ?? 1;
    this.deps.store.replace(rt, {
      ...object,
      ...extra,
      metadata: { ...object.metadata, generation },
      status: { observedGeneration: generation, ...status },
    });
  }

  private makePod(owner: KubeObject, ownerType: ResourceType, template: Template, name: string, extra: Json = {}) {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels: { ...template.metadata?.labels, ...(extra.labels as Record<string, string>) },
        annotations: template.metadata?.annotations,
        ownerReferences: [this.ownerRef(owner, ownerType)],
      },
      spec: { ...structuredClone(template.spec ?? {}), ...(extra.spec as Json) },
    };
    return this.deps.create(this.rt('Pod'), pod);
  }

  /** Keeps `count` pods named by `name(i)` (or generated) owned by `owner`; returns how many it has. */
  private scalePods(owner: KubeObject, ownerType: ResourceType, template: Template, count: number): number {
    const pods = this.owned('Pod', owner);
    for (let i = pods.length; i < count; i++)
      this.makePod(owner, ownerType, template, `${owner.metadata.name}-${randomSuffix()}`);
    for (const extra of pods.slice(count).reverse())
      this.deps.store.remove(this.rt('Pod'), extra.metadata.namespace, extra.metadata.name ?? '');
    return Math.min(pods.length, count) + Math.max(0, count - pods.length);
  }

  private deployment(d: KubeObject): void {
    const spec = (d.spec ?? {}) as { replicas?: number; template?: Template; selector?: Json };
    const replicas = spec.replicas ?? 1;
    const hash = templateHash(spec.template);
    const rsType = this.rt('ReplicaSet');
    const owned = this.owned('ReplicaSet', d);
    // The ReplicaSet already running this template (whatever its name: seeded ones have their own).
    const running = owned.find((r) => sameTemplate((r.spec as { template?: Template }).template, spec.template));
    const name = running?.metadata.name ?? `${d.metadata.name}-${hash}`;
    for (const old of owned.filter((r) => r.metadata.name !== name)) {
      if ((old.spec as { replicas?: number }).replicas === 0) continue;
      const scaled = { ...old, spec: { ...(old.spec as Json), replicas: 0 } };
      this.deps.store.replace(rsType, scaled);
      this.replicaSet(this.deps.store.get(rsType, old.metadata.namespace, old.metadata.name ?? '')!);
    }
    const labels = { ...spec.template?.metadata?.labels, 'pod-template-hash': hash };
    const existing = owned.find((r) => r.metadata.name === name);
    const rsSpec = {
      replicas,
      selector: {
        ...(spec.selector ?? {}),
        matchLabels: { ...((spec.selector?.matchLabels as Json) ?? {}), 'pod-template-hash': hash },
      },
      template: { ...spec.template, metadata: { ...spec.template?.metadata, labels } },
    };
    if (!existing) {
      this.deps.create(rsType, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          namespace: d.metadata.namespace,
          labels,
          annotations: { 'deployment.kubernetes.io/revision': String(owned.length + 1) },
          ownerReferences: [this.ownerRef(d, this.rt('Deployment'))],
        },
        spec: rsSpec,
      });
    } else if ((existing.spec as { replicas?: number }).replicas !== replicas) {
      this.deps.store.replace(rsType, { ...existing, spec: { ...(existing.spec as Json), replicas } });
      this.replicaSet(this.deps.store.get(rsType, existing.metadata.namespace, name)!);
    }
    // A template seen before (a rollback) makes its old ReplicaSet the newest revision again.
    const revisionOf = (r: KubeObject) => Number(r.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    const top = Math.max(0, ...owned.map(revisionOf));
    if (existing && owned.length > 1 && revisionOf(existing) < top) {
      const now = this.deps.store.get(rsType, existing.metadata.namespace, name)!;
      const annotations = { ...now.metadata.annotations, 'deployment.kubernetes.io/revision': String(top + 1) };
      this.deps.store.replace(rsType, { ...now, metadata: { ...now.metadata, annotations } });
    }
    // Its status counts the pods of its ReplicaSets, as the controller does (a Pending pod is not ready).
    const current = this.deps.store.get(this.rt('Deployment'), d.metadata.namespace, d.metadata.name ?? '')!;
    this.settle(this.rt('Deployment'), current, deploymentStatus(this.deps.store, current, this.deps.clock.now()));
  }

  private replicaSet(rs: KubeObject): void {
    const spec = (rs.spec ?? {}) as { replicas?: number; template?: Template };
    this.scalePods(rs, this.rt('ReplicaSet'), spec.template ?? {}, spec.replicas ?? 1);
    const current = this.deps.store.get(this.rt('ReplicaSet'), rs.metadata.namespace, rs.metadata.name ?? '')!;
    this.settle(this.rt('ReplicaSet'), current, replicaSetStatus(this.deps.store, current));
  }

  private statefulSet(sts: KubeObject): void {
    const spec = (sts.spec ?? {}) as { replicas?: number; template?: Template; serviceName?: string };
    const replicas = spec.replicas ?? 1;
    const rt = this.rt('StatefulSet');
    const revision = `${sts.metadata.name}-${templateHash(spec.template)}`;
    const pods = this.owned('Pod', sts);
    for (let i = 0; i < replicas; i++) {
      const name = `${sts.metadata.name}-${i}`;
      if (pods.some((p) => p.metadata.name === name)) continue;
      this.makePod(sts, rt, spec.template ?? {}, name, {
        labels: { 'statefulset.kubernetes.io/pod-name': name, 'controller-revision-hash': revision },
        spec: { hostname: name, ...(spec.serviceName ? { subdomain: spec.serviceName } : {}) },
      });
    }
    for (const p of pods) {
      const ordinal = Number(p.metadata.name?.slice((sts.metadata.name ?? '').length + 1));
      if (ordinal >= replicas) this.deps.store.remove(this.rt('Pod'), p.metadata.namespace, p.metadata.name ?? '');
    }
    this.settle(rt, this.deps.store.get(rt, sts.metadata.namespace, sts.metadata.name ?? '')!, {
      replicas,
      readyReplicas: replicas || undefined,
      currentReplicas: replicas || undefined,
      updatedReplicas: replicas || undefined,
      ...(this.deps.minor >= 24 ? { availableReplicas: replicas } : {}),
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    });
  }

  private daemonSet(ds: KubeObject): void {
    const spec = (ds.spec ?? {}) as { template?: Template };
    const rt = this.rt('DaemonSet');
    const pods = this.owned('Pod', ds);
    // Where it may run: its selector and required affinity, and the nodes' taints less what the controller
    // tolerates for every daemon pod (resources are not weighed, as the lab's scheduler does not).
    const template = spec.template?.spec as PodSpec | undefined;
    const placement = { ...placementOf(template), tolerations: daemonPodTolerations(template) };
    const eligible = this.deps.nodes.filter((node) => {
      const facts = nodeFacts(
        this.deps.store.get(this.rt('Node'), undefined, node.name) ?? { metadata: { name: node.name } },
      );
      return facts !== undefined && admits(placement, facts);
    });
    // The labels the controller puts on each pod: its template's revision (the hash its ControllerRevision
    // is named by) and generation, which a rolling update compares.
    const labels = {
      'controller-revision-hash': templateHash(spec.template),
      'pod-template-generation': String(ds.metadata.generation ?? 1),
    };
    // A template not seen before is a new revision, numbered after the ones the DaemonSet has.
    const revisions = this.owned('ControllerRevision', ds);
    const revision = daemonSetRevision(ds, spec.template, revisions.length + 1);
    if (!revisions.some((r) => r.metadata.name === revision.metadata.name))
      this.deps.create(this.rt('ControllerRevision'), revision);
    for (const node of eligible) {
      if (pods.some((p) => (p.spec as { nodeName?: string })?.nodeName === node.name)) continue;
      this.makePod(ds, rt, spec.template ?? {}, `${ds.metadata.name}-${randomSuffix()}`, {
        labels,
        spec: {
          nodeName: node.name,
          tolerations: daemonPodTolerations(template),
          affinity: daemonPodAffinity(template?.affinity, node.name),
        },
      });
    }
    const current = this.deps.store.get(rt, ds.metadata.namespace, ds.metadata.name ?? '')!;
    const nodes = eligible.map((n) => n.name);
    this.settle(rt, current, daemonSetStatus(this.deps.store, current, nodes, labels['controller-revision-hash']));
  }

  private job(job: KubeObject): void {
    const rt = this.rt('Job');
    const spec = (job.spec ?? {}) as {
      parallelism?: number;
      completions?: number;
      template?: Template;
      selector?: Json;
    };
    const uid = job.metadata.uid ?? '';
    const jobLabels: Record<string, string> = { 'controller-uid': uid, 'job-name': job.metadata.name ?? '' };
    if (this.deps.minor >= 27) {
      jobLabels['batch.kubernetes.io/controller-uid'] = uid;
      jobLabels['batch.kubernetes.io/job-name'] = job.metadata.name ?? '';
    }
    const template: Template = {
      ...spec.template,
      metadata: { ...spec.template?.metadata, labels: { ...spec.template?.metadata?.labels, ...jobLabels } },
    };
    const wanted = Math.min(spec.parallelism ?? 1, spec.completions ?? 1);
    const active = this.scalePods(job, rt, template, wanted);
    const current = this.deps.store.get(rt, job.metadata.namespace, job.metadata.name ?? '')!;
    const status = (current.status ?? {}) as Json;
    // No container runs, so no pod ever succeeds: the Job stays active, as its status says.
    const extra = spec.selector
      ? {}
      : { spec: { ...spec, selector: { matchLabels: { 'controller-uid': uid } }, template } };
    this.settle(
      rt,
      current,
      {
        startTime: status.startTime ?? timestamp(this.deps.clock.now()),
        active,
        ready: this.deps.minor >= 24 ? active : undefined,
      },
      extra,
    );
  }

  /**
   * An HPA's status as its controller reports it: the target's replica count, kept within min and max. It
   * does not act: no metrics are read, nothing is scaled.
   */
  private hpa(hpa: KubeObject): void {
    const rt = this.deps.resources.find(
      (r) => r.kind === 'HorizontalPodAutoscaler' && groupVersion(r) === hpa.apiVersion,
    )!;
    const spec = (hpa.spec ?? {}) as {
      scaleTargetRef?: { kind?: string; name?: string };
      minReplicas?: number;
      maxReplicas?: number;
    };
    const ref = spec.scaleTargetRef;
    const target = this.deps.resources.find(
      (r) => r.kind === ref?.kind && r.subresources?.some((s) => s.name === 'scale'),
    );
    const object = target && this.deps.store.get(target, hpa.metadata.namespace, ref?.name ?? '');
    const current = Number((object?.spec as { replicas?: number } | undefined)?.replicas ?? 0);
    const desired = object ? Math.min(Math.max(current, spec.minReplicas ?? 1), spec.maxReplicas ?? current) : 0;
    const at = timestamp(this.deps.clock.now());
    const condition = object
      ? {
          type: 'AbleToScale',
          status: 'True',
          lastTransitionTime: at,
          reason: 'ReadyForNewScale',
          message: 'recommended size matches current size',
        }
      : {
          type: 'AbleToScale',
          status: 'False',
          lastTransitionTime: at,
          reason: 'FailedGetScale',
          message: `the HPA controller was unable to get the target's current scale: ${ref?.kind} ${ref?.name} not found`,
        };
    this.settle(rt, hpa, {
      currentReplicas: current,
      desiredReplicas: desired,
      // autoscaling/v1 has no conditions in its status.
      ...(rt.version === 'v1' ? {} : { conditions: [condition] }),
    });
  }

  /** Every CronJob whose next scheduled time has passed on the lab clock makes its Job (the latest one missed). */
  cronJobs(): void {
    const rt = this.rt('CronJob');
    const now = this.deps.clock.now();
    for (const cj of this.deps.store.list(rt)) {
      const spec = (cj.spec ?? {}) as {
        schedule?: string;
        suspend?: boolean;
        jobTemplate?: { metadata?: Json; spec?: Json };
      };
      if (spec.suspend || !spec.schedule) continue;
      // Seeded CronJobs belong to the picture, like the seeded Deployments whose pods are seeded, not made:
      // they do not fire on their own, so the lab changes only when asked to (snapshots stay equal). The
      // ones created through the API fire as the lab clock passes their schedule.
      if (Date.parse(cj.metadata.creationTimestamp ?? '') < this.started) continue;
      const status = (cj.status ?? {}) as { lastScheduleTime?: string; active?: Json[] };
      const since = new Date(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? now);
      let due: Date | undefined;
      try {
        const times = CronExpressionParser.parse(spec.schedule, { currentDate: since, tz: 'UTC' });
        for (let i = 0; i < 1000; i++) {
          const next = times.next().toDate();
          if (next > now) break;
          due = next;
        }
      } catch {
        continue; // an unparsable schedule: the real controller records an event and skips it too
      }
      if (!due) continue;
      const name = `${cj.metadata.name}-${Math.floor(due.getTime() / 60_000)}`;
      const jobs = this.rt('Job');
      if (!this.deps.store.has(jobs, cj.metadata.namespace, name)) {
        const annotations: Record<string, string> = {
          ...((spec.jobTemplate?.metadata?.annotations as Record<string, string>) ?? {}),
        };
        if (this.deps.minor >= 28)
          annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'] = due.toISOString().replace('.000Z', 'Z');
        this.deps.create(jobs, {
          apiVersion: groupVersion(jobs),
          kind: 'Job',
          metadata: {
            name,
            namespace: cj.metadata.namespace,
            labels: spec.jobTemplate?.metadata?.labels as Record<string, string>,
            annotations,
            ownerReferences: [this.ownerRef(cj, rt)],
          },
          spec: structuredClone(spec.jobTemplate?.spec ?? {}),
        });
        // Created through admission: the Job controller has made its pods already.
      }
      const ref = { apiVersion: groupVersion(jobs), kind: 'Job', name, namespace: cj.metadata.namespace };
      this.deps.store.replace(rt, {
        ...cj,
        status: { ...status, active: [ref], lastScheduleTime: timestamp(due) },
      });
    }
  }
}
