// The event types are the map of the system: discovery publishes facts, hunters subscribe to
// facts and publish findings and new facts. Every event records where it came from.

export type ServiceKind =
  | 'apiserver'
  | 'kubelet'
  | 'kubelet-readonly'
  | 'etcd'
  | 'dashboard'
  | 'kubectl-proxy'
  | 'kube-proxy'
  | 'controller-manager'
  | 'scheduler'
  | 'cadvisor'
  | 'metrics'
  | 'prometheus'
  | 'node-exporter'
  | 'grafana'
  | 'loki'
  | 'argocd'
  | 'unknown';

export type Scheme = 'http' | 'https';
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A severity's rank, info lowest: for sorting and thresholds. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** What a TLS peer certificate says, without the key material. */
export interface CertSummary {
  subject: string;
  issuer: string;
  sans: string[];
  emails: string[];
  validFrom: string;
  validTo: string;
  selfSigned: boolean;
  fingerprint256: string;
}

/** Secret material of an identity. Never rendered in a report: only `name` and `source` are. */
export interface CredentialSecret {
  token?: string;
  clientCert?: string;
  clientKey?: string;
  username?: string;
  password?: string;
  ca?: string;
}

/**
 * Why something was not examined fully. `cap`: a size or count limit cut the answer; `deadline`: the
 * hunter's or run's time ran out; `timeout`: a request went unanswered in time; `retry-budget`: retries of
 * a transient failure were spent; `unanswered`: a port or endpoint never answered; `page-failed`: a page
 * of a paged list could not be read; `budget`: a run-wide budget (memory, requests, namespaces) ran out;
 * `error`: a failure that stopped the examination; `skipped`: deliberately not examined (selection).
 */
export const COVERAGE_REASONS = [
  'cap',
  'deadline',
  'timeout',
  'retry-budget',
  'unanswered',
  'page-failed',
  'budget',
  'error',
  'skipped',
] as const;
export type CoverageReason = (typeof COVERAGE_REASONS)[number];

export interface Endpoint {
  host: string;
  port: number;
  scheme: Scheme;
}

/** Payloads by event type. Add a type here and it is known to the bus, hunters and reports. */
export interface EventPayloads {
  /**
   * Published once when a hunt starts, before discovery: hunters that gather facts from the machine
   * kubeferret runs on (the local kubectl with --local) subscribe to it.
   */
  HuntStarted: Record<string, never>;
  /** A port accepted a TCP connection. */
  PortOpen: { host: string; port: number };
  /** A port was identified by talking to it. */
  ServiceFound: {
    host: string;
    port: number;
    kind: ServiceKind;
    scheme: Scheme;
    version?: string;
    cert?: CertSummary;
    /** Why the fingerprint decided on this kind, in a few words each. */
    evidence: string[];
  };
  /** An identity that can be presented to an API server. */
  Credential: {
    /** Display name: context name, `token-file:/path`, `pod:ns/sa`, `found:ns/secret`. */
    name: string;
    source: 'pod' | 'kubeconfig' | 'token' | 'found';
    apiServer?: Endpoint;
    secret: CredentialSecret;
  };
  /**
   * A component disclosed its version. For a binary on this machine (`--local`) `binary` is its path,
   * `host` is `localhost` and `port` is 0.
   */
  Version: {
    host: string;
    port: number;
    component: 'kubernetes' | 'kubelet' | 'etcd' | 'kubectl';
    version: string;
    binary?: string;
  };
  /** An address learned during the hunt (node, pod, endpoint). */
  AddressLearned: { address: string; origin: string; inScope: boolean };
  /**
   * What one identity can do on one API server, as found by a passive hunter. Active hunters follow up on
   * it, and the report compares identities side by side from these events.
   */
  ApiAccess: {
    host: string;
    port: number;
    scheme: Scheme;
    /** Display name: `insecure-port`, `anonymous`, `kubectl-proxy`, or a Credential's name. */
    identity: string;
    via: 'insecure-port' | 'anonymous' | 'credential' | 'kubectl-proxy';
    /** The Credential event's name holding the secret, when `via` is `credential` (look it up with ctx.known). */
    credential?: string;
    /** Each check made and its answer, keyed like `list namespaces`, `get secrets`, `create pods`. */
    can: Record<string, boolean>;
  };
  /**
   * Something a hunter (or discovery) could not examine fully, and why: a missing finding must mean "not
   * there", never "not looked". Reports list these as coverage gaps; `ctx.gap` publishes one.
   */
  CoverageGap: {
    /** The hunter or discovery stage that could not finish; `ctx.gap` fills it in. */
    hunter: string;
    host?: string;
    port?: number;
    /** What was not examined fully, e.g. `/pods`, `list secrets (anonymous)`, `port 10250`. */
    subject: string;
    reason: CoverageReason;
    /** One line: what was cut, and how much was examined before it. Secrets already redacted. */
    detail: string;
  };
  /**
   * An attack path, computed from what was read and never walked: from an identity on an API server to a
   * goal (`cluster-admin`, `root on a node`, `every Secret`), each step with the facts it rests on.
   */
  AttackPath: {
    host: string;
    port: number;
    /** The starting identity's display name (ApiAccess.identity). */
    from: string;
    to: string;
    steps: {
      /** The escalation step's id (src/paths/steps.ts). */
      action: string;
      /** What the step reaches: `service account dev/ci-bot`, `cluster-admin`. */
      subject: string;
      /** The right used and the rules, bindings or objects it rests on. */
      evidence: string;
      /** Ids of the Finding events that showed the step. */
      findings: string[];
    }[];
  };
  /** A weakness, named by its knowledge-base id. */
  Finding: {
    kb: string;
    host?: string;
    port?: number;
    path?: string;
    /** The Kubernetes object or identity concerned, e.g. `pod kube-system/etcd`, `identity dev`. */
    object?: string;
    identity?: string;
    /** What was observed, secrets already redacted. */
    evidence: string;
    /** Only when a hunter knows better than the knowledge base (e.g. a CVE's own score). */
    severity?: Severity;
    /** Set by active hunters: the finding proves impact rather than suggesting it. */
    proof?: boolean;
  };
}

export type EventType = keyof EventPayloads;

export interface EventMeta<K extends EventType = EventType> {
  id: string;
  type: K;
  /** Ids of the events this one was derived from. */
  parents: string[];
  /** The hunter (or discovery stage) that published it. */
  publisher: string;
  time: string;
}

export type KfEvent<K extends EventType = EventType> = K extends EventType ? EventMeta<K> & EventPayloads[K] : never;

/** The host an event concerns, used for per-host concurrency. */
export function hostOf(event: KfEvent): string | undefined {
  if ('host' in event && typeof event.host === 'string') return event.host;
  if (event.type === 'Credential') return event.apiServer?.host;
  return undefined;
}

/** Default de-duplication key: the payload without its metadata, secrets reduced to their presence. */
export function subjectOf(event: KfEvent): string {
  switch (event.type) {
    case 'HuntStarted':
      return 'hunt';
    case 'PortOpen':
    case 'ServiceFound':
    case 'Version':
      return `${event.host}:${event.port}`;
    case 'Credential':
      return `${event.name}@${event.apiServer ? `${event.apiServer.host}:${event.apiServer.port}` : '-'}`;
    case 'AddressLearned':
      return event.address;
    case 'ApiAccess':
      return `${event.identity}@${event.host}:${event.port}`;
    case 'CoverageGap':
      return [event.hunter, event.host, event.port, event.subject, event.reason].join('|');
    case 'AttackPath':
      return [event.host, event.port, event.from, event.to].join('|');
    case 'Finding':
      return [event.kb, event.host, event.port, event.path, event.object, event.identity].join('|');
  }
}
