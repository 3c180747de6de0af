import type { NetClient } from '../net/network.js';
import type { ChangeOutcome, ChangeSpec } from './changes.js';
import type { EventPayloads, EventType, KfEvent } from './events.js';

export type HunterMode = 'passive' | 'active';

/** What a hunter may do: probe through `net`, publish facts, report findings. Nothing else. */
export interface HuntContext {
  readonly hunter: string;
  /** Aborted when the hunter's time is up or the run is stopping. */
  readonly signal: AbortSignal;
  readonly net: NetClient;
  readonly options: HuntOptions;
  /**
   * Publishes a new fact derived from the event being handled (or from `parents` when given). The same fact
   * again (same type and subject) is dropped, unless `replace` asks for it to take the earlier one's place.
   */
  publish<K extends EventType>(
    type: K,
    payload: EventPayloads[K],
    parents?: string[],
    options?: PublishOptions,
  ): KfEvent<K>;
  /** Events of a type published so far in this run (e.g. every Credential), optionally filtered. */
  known<K extends EventType>(type: K, filter?: (event: KfEvent<K>) => boolean): KfEvent<K>[];
  /** Shorthand for publishing a Finding. */
  report(finding: EventPayloads['Finding'], parents?: string[], options?: PublishOptions): KfEvent<'Finding'>;
  /**
   * Records that something could not be examined fully (a cap, a deadline, an unanswered request, a
   * page that failed), so the report says so instead of staying silent.
   */
  gap(gap: Omit<EventPayloads['CoverageGap'], 'hunter'>, parents?: string[]): KfEvent<'CoverageGap'>;
  /** A one-line note for the run log (shown with --debug, kept in the report's errors when `warn`). */
  log(message: string, level?: 'debug' | 'warn'): void;
  /** This run's id: the names of objects active hunters create carry it (`kubeferret-<runId>-…`). */
  readonly runId: string;
  /**
   * Active hunters only: makes a change the framework journals first and undoes when the hunter ends (or
   * the run stops), or in a dry run only plans. Every request that changes state goes through here.
   */
  change(spec: ChangeSpec): Promise<ChangeOutcome>;
}

/** How an event is published. */
export interface PublishOptions {
  /**
   * Replace an earlier event with the same type and subject instead of keeping it: for a fact the hunter
   * knows to be better than the one published (an attack path shortened by rights learned later).
   */
  replace?: boolean;
}

/**
 * Run-wide settings a hunter may read, each named and typed (the run's orchestrator fills them from the
 * config: huntOptionsOf in src/run/hunt.ts). Extend with care: hunters read options, they do not parse flags.
 */
export interface HuntOptions {
  active: boolean;
  /** Include findings for versions that are vendor patch releases (see CVE matching). */
  includePatchedVersions: boolean;
  /** Gather facts from this machine too (`--local`: the kubectl on the PATH). Absent means no. */
  local?: boolean;
  /** Run cloud metadata hunters (pod vantage only). */
  cloud: boolean;
  /** The metadata endpoint cloud hunters ask; set only when `cloud` is. */
  cloudMetadata?: { host: string; port: number };
  /** The ports the run scans (node discovery scans the same ones on the nodes it lists). */
  ports?: readonly number[];
  /** List nodes through the API with each identity and scan those inside the scope (`--discover-nodes`). */
  discoverNodes?: boolean;
  /** Where the pod hunters read /proc, /etc and the token from (default `/`): tests point it at files. */
  podRoot?: string;
  /** The pod's network interfaces, instead of this machine's (tests of the spoofing hunter). */
  podInterfaces?: readonly PodInterface[];
  /** Namespaces surveyed per identity, instead of the default budget (tests and very large clusters). */
  namespaceBudget?: number;
}

/** A network interface of the pod the hunt runs in, with its address as a CIDR (`10.244.1.5/24`). */
export interface PodInterface {
  name: string;
  cidr: string;
}

/**
 * A hunter: metadata first, readable without the logic, then `hunt`, called once per subject for the
 * events it subscribed to.
 */
export interface Hunter<K extends EventType = EventType> {
  /** Stable id, kebab-case, e.g. `kubelet-anonymous-auth`. */
  id: string;
  title: string;
  mode: HunterMode;
  /** The event type it listens for. */
  on: K;
  /** Further narrows the events it receives. */
  when?: (event: KfEvent<K>) => boolean;
  /** Knowledge-base ids it can report. */
  reports?: readonly string[];
  /** Active hunters: what they may change, in a few words, shown before consent is asked. */
  changes?: string;
  /**
   * Passive hunters: every request they send that is not a GET or HEAD (`path` a prefix, e.g. `/run/`),
   * and why it changes nothing. The passive request-log checks allow exactly these.
   */
  readOnlyRequests?: readonly ReadOnlyRequest[];
  /** De-duplication key; each (hunter, subject) pair runs once. Defaults to the event's natural subject. */
  subject?: (event: KfEvent<K>) => string;
  /** Overrides the run's per-hunter timeout, ms. */
  timeoutMs?: number;
  hunt(event: KfEvent<K>, ctx: HuntContext): Promise<void>;
}

/** A request other than GET or HEAD that a passive hunter sends, declared in its metadata. */
export interface ReadOnlyRequest {
  method: string;
  /** Path prefix, without the query. */
  path: string;
  /** Why it changes nothing. */
  why: string;
}

/** Helper that keeps the event type of `on` flowing into `when` and `hunt` without annotations. */
export function defineHunter<K extends EventType>(hunter: Hunter<K>): Hunter<K> {
  return hunter;
}

export type AnyHunter = { [K in EventType]: Hunter<K> }[EventType];
