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

/**
 * How a server's certificate must be checked before a credential goes to it, as client-go checks it:
 * - `verify`: against `CredentialSecret.ca` (the system's roots, as Go finds them, when there is none), for the name or
 *   address the server was reached by; on its own API server (`serverHost`, the host of the kubeconfig's
 *   `server:`) for `serverName` instead when the kubeconfig sets `tls-server-name`.
 * - `insecure-skip-tls-verify`: the kubeconfig says so; the certificate is not checked.
 * - `unverified`: nothing to check it with (a bare `--token` without `--certificate-authority`, or a token
 *   found over a connection that was itself unverified); sent anyway, and the report says so.
 */
export interface CredentialTrust {
  tls: 'verify' | 'insecure-skip-tls-verify' | 'unverified';
  serverName?: string;
  serverHost?: string;
}

/** Secret material of an identity. Never rendered in a report: only `name` and `source` are. */
export interface CredentialSecret {
  token?: string;
  clientCert?: string;
  clientKey?: string;
  username?: string;
  password?: string;
  /** The CA the credential's source trusts (kubeconfig certificate-authority, the pod's ca.crt). */
  ca?: string;
  /** How the server's certificate is checked before this credential goes out (net/trust.ts); unset: verify. */
  trust?: CredentialTrust;
  /** A credential that expires (ms since the epoch) and is renewed by its source (net/renewal.ts). */
  renewal?: { key: string; expires: number };
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
  /**
   * Published once, when the bus first goes idle with every fact of the hunt in: hunters that judge on
   * facts many hunters gather (whether a CVE's conditions hold) listen for it. Only published when a
   * hunter listens; a stopped run does not settle.
   */
  HuntSettled: Record<string, never>;
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
    /**
     * The identity's own namespace where its source says so: the kubeconfig context's `namespace`. Pods'
     * and found tokens' namespaces are in their names.
     */
    namespace?: string;
    secret: CredentialSecret;
    /**
     * The name of a Credential already known on the same API server that authenticates as the same user
     * (a token file, and the token Secret of the same service account): one identity obtained another way.
     * It is not surveyed again; reports list it under that identity.
     */
    sameAs?: string;
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
  /**
   * How a component is set up, as a hunter observed it: the facts CVE conditions are checked against
   * (src/kb/cve-conditions.ts). `port` absent: true of the whole host (a node's operating system, its
   * kubelet's settings, whichever port they were read on).
   */
  Observation: {
    host: string;
    port?: number;
    /**
     * What was observed: one of CONDITION_FACTS (`os`, `auth`, `endpoint`, `feature-gate`, …), or USER_FACT
     * (the user a Credential, named by `name`, authenticates as on this API server).
     */
    fact: string;
    /** Which one, for facts that have several: the endpoint's path, the feature gate's name. */
    name?: string;
    /** What it is: `windows`, `enabled`, `answering`, `absent`, a number for `log-level`. */
    value: string;
    /** Where it was read, in a few words: `kubelet /metrics kubernetes_build_info platform windows/amd64`. */
    source: string;
  };
  /** An address learned during the hunt (node, pod, endpoint). */
  AddressLearned: {
    address: string;
    origin: string;
    inScope: boolean;
    /** A node's address: the Node and the API server whose list named it (which cluster it belongs to). */
    node?: { name: string; host: string; port: number };
  };
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
   * A namespace named where the hunt read something other than an API server's namespace list: a kubelet's
   * pod list, etcd key names (`/registry/<resource>/<namespace>/<name>`), a serving certificate's Service
   * names (`hook.<namespace>.svc`). The namespace survey
   * (`apiserver-namespaces`) counts it as known on every API server of the run. One per namespace and run:
   * the first source that named it.
   */
  NamespaceSeen: {
    namespace: string;
    /** Where it was read, in a few words: `kubelet /pods`, `etcd key names`. */
    source: string;
    host?: string;
    port?: number;
  };
  /**
   * What one identity may do in one namespace, from that namespace's SelfSubjectRulesReview (the namespace
   * survey): the same keys as ApiAccess `can` where a check is the same (`list secrets`, `create pods`,
   * `create pods/exec`, `create rolebindings`) and a few the survey adds (`get secrets`,
   * `create serviceaccounts/token`). Only for namespaces other than the identity's own (ApiAccess has that).
   */
  NamespaceAccess: {
    host: string;
    port: number;
    /** ApiAccess.identity. */
    identity: string;
    namespace: string;
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
    /** For a finding in a manifest (`kubeferret check`): the file and the 1-based line of the object. */
    file?: string;
    line?: number;
    /** What was observed, secrets already redacted. */
    evidence: string;
    /** Only when a hunter knows better than the knowledge base (e.g. a CVE's own score). */
    severity?: Severity;
    /** Set by active hunters: the finding proves impact rather than suggesting it. */
    proof?: boolean;
    /**
     * The conditions the weakness depends on that the hunt could not check, in one line: it is possible,
     * not established. Reports say so; `--fail-on` ignores it unless `--fail-on-possible`.
     */
    possible?: string;
  };
}

export type EventType = keyof EventPayloads;

/**
 * Observation.fact of the user a Credential authenticates as, as its API server said it (whoami.ts):
 * Credentials on one server with the same user are one identity, the first found to be it surveyed.
 */
export const USER_FACT = 'user';

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
    case 'HuntSettled':
      return 'hunt';
    case 'PortOpen':
    case 'ServiceFound':
    case 'Version':
      return `${event.host}:${event.port}`;
    case 'Credential':
      return `${event.name}@${event.apiServer ? `${event.apiServer.host}:${event.apiServer.port}` : '-'}`;
    case 'AddressLearned':
      return event.address;
    case 'Observation':
      return [event.host, event.port, event.fact, event.name, event.value].join('|');
    case 'ApiAccess':
      return `${event.identity}@${event.host}:${event.port}`;
    case 'NamespaceSeen':
      return event.namespace;
    case 'NamespaceAccess':
      return `${event.identity}@${event.host}:${event.port}|${event.namespace}`;
    case 'CoverageGap':
      return [event.hunter, event.host, event.port, event.subject, event.reason].join('|');
    case 'AttackPath':
      return [event.host, event.port, event.from, event.to].join('|');
    case 'Finding':
      return [event.kb, event.host, event.port, event.path, event.object, event.identity].join('|');
  }
}
