import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiServer } from './apiserver.js';
import { Authenticator } from './auth.js';
import { cadvisorHandler } from './cadvisor.js';
import { allPairs, issueCertificates } from './certificates.js';
import { LabClock } from './clock.js';
import { controlPlaneHandler, controlPlaneSpecs } from './control-plane.js';
import { Controllers } from './controllers.js';
import { dashboardHandler } from './dashboard.js';
import { RealEtcd } from './etcd.js';
import { registryEntries } from './etcd-keys.js';
import { SimulatedEtcd } from './etcd-sim.js';
import { Fault } from './faults.js';
import { forward } from './forward.js';
import { startHostile } from './hostile.js';
import { IDENTITY_NAMES, type IdentityName, type LabIdentity, userOf } from './identities.js';
import { kubeProxyHealthHandler, kubeProxyMetricsHandler } from './kube-proxy.js';
import { kubeconfigFor, type PodFiles, writePodFiles } from './kubeconfig.js';
import { kubectlProxyHandler } from './kubectl-proxy.js';
import { Kubelet } from './kubelet.js';
import {
  addressAt,
  addressesUsed,
  type LabOptions,
  type LabProfile,
  type ResolvedLabOptions,
  resolveLabOptions,
} from './options.js';
import { type CertKey, sharedAuthorities } from './pki.js';
import { PROFILE_SETTINGS, type ProfileSettings } from './profiles.js';
import { type Attributes, Authorizer } from './rbac.js';
import { type LabRequest, RequestLog } from './requestlog.js';
import { RESOURCES, resourceOfKind, servedResources } from './resources.js';
import { containerLog, Runtime } from './runtime.js';
import { seedCluster } from './seed.js';
import { seedBulk, wantsBulk } from './seed-bulk.js';
import { seedBulkWorkloads, wantsBulkWorkloads } from './seed-bulk-workloads.js';
import { pendingPileObjects } from './seed-ops-sched.js';
import { Listeners } from './servers.js';
import { canonical, type LabSnapshot, objectsSnapshot } from './snapshot.js';
import { Store } from './store.js';
import { boundClaims, sharedTokenSigner } from './tokens.js';
import { buildTopology, type LabHost, OUTSIDE_PORT, outsideAddress, PORTS } from './topology.js';
import { ANONYMOUS, type UserInfo } from './users.js';
import { minorOf } from './version.js';

export { type FaultSpec, parseFault } from './faults.js';
export { HUGE_BODY_BYTES } from './hostile.js';
export type { IdentityName, LabIdentity } from './identities.js';
export { IDENTITY_NAMES } from './identities.js';
export type { PodFiles } from './kubeconfig.js';
export {
  ETCD_MODES,
  type EtcdMode,
  type LabOptions,
  type LabProfile,
  MAX_NODES,
  MAX_SCALE,
  PROFILES,
  scaleOf,
} from './options.js';
export type { CertKey } from './pki.js';
export { PROFILE_SETTINGS, type ProfileSettings } from './profiles.js';
export type { Attributes } from './rbac.js';
export type { LabRequest } from './requestlog.js';
export { BULK_LABEL, BULK_NAMESPACE, type LabScale } from './seed-bulk.js';
export { workloadPodsOf } from './seed-bulk-workloads.js';
export type { LabSnapshot } from './snapshot.js';
export { HOSTILE_PORTS, type HostRole, type LabHost, type LabService, OUTSIDE_PORT, PORTS } from './topology.js';

/** A running lab. Everything it listens on is in `hosts`; `stop()` ends it. */
export interface Lab {
  profile: LabProfile;
  settings: ProfileSettings;
  /** The Kubernetes version the components report. */
  version: string;
  options: ResolvedLabOptions;
  /** Control plane first, then the nodes, then the hostile host when asked for: the ground truth of discovery. */
  hosts: LabHost[];
  /** The redirect target of the hostile host: an address outside any scope a test declares, listened on. */
  outside?: { address: string; port: number };
  /** `https://<base>:6443` */
  apiServer: string;
  /** Every request any component received, in order (live). */
  requests: readonly LabRequest[];
  /** The named identities with their secrets and rights. */
  credentials: Record<IdentityName, LabIdentity>;
  /** The cluster CA certificate (PEM): API server, client certificates, pods' ca.crt. */
  ca: string;
  /** etcd's CA certificate (PEM). */
  etcdCa: string;
  /** A client certificate etcd accepts (kube-apiserver-etcd-client), for TLS etcd. */
  etcdClientCert: CertKey;
  /** How etcd runs: the real binary, the simulation, or not at all. */
  etcd: 'real' | 'simulated' | 'off';
  /** Every secret value the lab holds or handed out: tokens, secret data, private keys, passwords. */
  secretValues(): string[];
  /** A kubeconfig for an identity (token or client certificate), written to `file` when given. */
  kubeconfig(identity: IdentityName, file?: string): string;
  /** Writes the service-account files a pod of `serviceAccount` (`namespace/name`) would have mounted. */
  podFiles(dir: string, serviceAccount: string): PodFiles;
  /** Whether RBAC lets an identity (or `anonymous`) do something: the ground truth of access checks;
   * a UserInfo asks it for any user (a service account with no named identity). */
  can(who: IdentityName | 'anonymous' | UserInfo, attributes: Attributes): boolean;
  /** The mutable state, deterministic, for comparing before and after an active hunt. */
  snapshot(): Promise<LabSnapshot>;
  /** The controllers' time: `clock.advance(seconds)` lets CronJobs fire without waiting. */
  clock: LabClock;
  /** Closes every listener, stops etcd, removes temporary files. Safe to call more than once. */
  stop(): Promise<void>;
}

/** How often the controllers look at the clock (CronJob schedules have minutes as their unit). */
const CLOCK_TICK_MS = 10_000;

/** A few days back: seeded objects look like a cluster in use (`kubectl get` shows their age). */
const SEED_AGE_MS = 9 * 86_400_000;

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const opts = resolveLabOptions(options);
  const settings = PROFILE_SETTINGS[opts.profile];
  const version = opts.version ?? settings.version;
  const minor = minorOf(version);
  const hosts = buildTopology(opts, settings);
  const nodes = hosts.filter((h) => h.role === 'node');
  const base = opts.base;
  const log = new RequestLog(opts.log);
  const listeners = new Listeners(log, faultsOf(opts));
  const remembered = new Set<string>();
  const remember = (s: string) => remembered.add(s);

  try {
    const [authorities, signer] = await Promise.all([sharedAuthorities(), sharedTokenSigner()]);
    const { cluster, etcd: etcdCa } = authorities;
    const etcdTls = !settings.etcdOpen && opts.etcd !== 'off';
    const certs = await issueCertificates(authorities, base, nodes, settings.apiserver.certEmail);
    for (const c of allPairs(certs)) remember(c.key);
    const { apiCert, kubeletClient, etcdServer, etcdClient, kubeletCerts, componentCerts, nodeCreds } = certs;

    const store = new Store();
    const seeded = await seedCluster(store, {
      settings,
      version,
      nodeOs: opts.nodeOs,
      nodeLocalDns: opts.nodeLocalDns,
      hosts,
      authorities,
      signer,
      created: new Date(Date.now() - SEED_AGE_MS),
    });
    if (wantsBulk(opts.scale)) seedBulk(store, opts.scale!, nodes, new Date(Date.now() - SEED_AGE_MS));
    for (const o of pendingPileObjects(opts.scale?.pendingPods ?? 0, nodes.length))
      store.create(resourceOfKind(RESOURCES, o.kind ?? ''), o, { created: new Date(Date.now() - SEED_AGE_MS) });
    if (wantsBulkWorkloads(opts.scale)) {
      const after = addressesUsed(opts.nodes, opts.hostile);
      seedBulkWorkloads(store, opts.scale!, {
        labNodes: nodes.map((n, index) => ({ name: n.name, address: n.address, index })),
        nodeAddress: (i) => addressAt(base, after + i),
        version,
        minor,
        created: new Date(Date.now() - SEED_AGE_MS),
        now: new Date(),
      });
    }
    const credentials = seeded.identities;
    for (const id of Object.values(credentials)) if (id.clientKey) remember(id.clientKey);
    for (const t of options.staticTokens ?? []) remember(t.token);
    for (const v of Object.values(seeded.values)) remember(v);

    const slots = nodes.map((n, index) => ({ name: n.name, address: n.address, index }));
    const authenticator = new Authenticator(store, signer, options.staticTokens);
    const authorizer = new Authorizer(store);
    const resources = servedResources(minor);
    const clock = new LabClock();
    const controllers = new Controllers({
      store,
      nodes: slots,
      minor,
      caCert: cluster.cert,
      signer,
      resources,
      clock,
    });
    const stopClock = clock.start(CLOCK_TICK_MS);
    listeners.onClose(async () => stopClock());
    const runtime = new Runtime({
      store,
      nodes,
      signer,
      caCert: cluster.cert,
      nodeCredentials: new Map(nodes.map((n, i) => [n.name, nodeCreds[i]])),
      remember,
    });
    const apiTarget = {
      host: base,
      port: PORTS.apiserver,
      tls: { ca: cluster.cert, ...credentialPair(credentials['kubernetes-admin']) },
    };
    const apiserver = new ApiServer({
      store,
      resources,
      minor,
      version,
      settings,
      namespaceTerminationMs: opts.namespaceTerminationMs,
      authenticator,
      authorizer,
      controllers,
      serverAddress: `${base}:${PORTS.apiserver}`,
      signer,
      remember,
      containerLog: (pod, container) => containerLog(pod, container),
      kubeletProxy: async (node, path, req, res) => {
        const host = nodes.find((n) => n.name === node);
        const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
        if (!host) return false;
        await forward(
          { host: host.address, port: PORTS.kubelet, tls: { cert: kubeletClient.cert, key: kubeletClient.key } },
          `${path}${query}`,
          req,
          res,
        );
        return true;
      },
      serviceProxy: async (namespace, service, path, req, res) => {
        if (
          !settings.dashboard ||
          namespace !== 'kubernetes-dashboard' ||
          !/^(https:)?kubernetes-dashboard(:.*)?$/.test(service)
        )
          return false;
        const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
        await forward({ host: base, port: PORTS.dashboard }, `${path}${query}`, req, res);
        return true;
      },
    });

    const tlsFor = (pair: CertKey) => ({ cert: pair.cert, key: pair.key, ca: [cluster.cert], requestCert: true });
    const starts: Promise<void>[] = [];
    const http = (
      component: string,
      host: string,
      port: number,
      handler: Parameters<Listeners['http']>[0]['handler'],
      tls?: ReturnType<typeof tlsFor>,
    ) => starts.push(listeners.http({ component, host, port, handler, tls }));

    if (settings.apiserver.insecurePort)
      http('kube-apiserver', base, PORTS.apiserverInsecure, apiserver.handler(false));
    http('kube-apiserver', base, PORTS.apiserver, apiserver.handler(true), tlsFor(apiCert));
    const specs = controlPlaneSpecs(version, base, settings.controlPlaneOpenDebug);
    const controlPlane: [string, number][] = [
      ['kube-controller-manager', PORTS.controllerManager],
      ['kube-scheduler', PORTS.scheduler],
    ];
    controlPlane.forEach(([name, port], i) => {
      http(name, base, port, controlPlaneHandler(specs[i], authenticator, authorizer), tlsFor(componentCerts[i]));
    });
    if (settings.kubectlProxy) http('kubectl-proxy', base, PORTS.kubectlProxy, kubectlProxyHandler(apiTarget));
    if (settings.dashboard) http('dashboard', base, PORTS.dashboard, dashboardHandler(store));
    nodes.forEach((node, i) => {
      const kubelet = new Kubelet({
        node,
        store,
        runtime,
        authenticator,
        authorizer,
        settings,
        version,
        os: opts.nodeOs,
      });
      http('kubelet', node.address, PORTS.kubelet, kubelet.secureHandler(), tlsFor(kubeletCerts[i]));
      if (settings.kubelet.readOnlyPort)
        http('kubelet', node.address, PORTS.kubeletReadOnly, kubelet.readOnlyHandler());
      http('kube-proxy', node.address, PORTS.kubeProxyHealth, kubeProxyHealthHandler(minor));
      if (settings.kubeProxyMetrics)
        http('kube-proxy', node.address, PORTS.kubeProxyMetrics, kubeProxyMetricsHandler(version));
      if (settings.cadvisor && i === 0) http('cadvisor', node.address, PORTS.cadvisor, cadvisorHandler(node.name));
    });
    const outside = opts.hostile ? { address: outsideAddress(opts), port: OUTSIDE_PORT } : undefined;
    const hostile = hosts.find((h) => h.role === 'hostile');
    if (hostile && outside) starts.push(startHostile(listeners, hostile.address, outside.address));

    let simulated: SimulatedEtcd | undefined;
    let real: RealEtcd | undefined;
    const entries = registryEntries(store, base);
    if (opts.etcd === 'simulated') {
      simulated = new SimulatedEtcd();
      simulated.seed(entries);
      const scheme = etcdTls ? 'https' : 'http';
      const etcdListenerTls = etcdTls
        ? { cert: etcdServer.cert, key: etcdServer.key, ca: [etcdCa.cert], requireClientCert: true }
        : undefined;
      starts.push(
        listeners.http({
          component: 'etcd',
          host: base,
          port: PORTS.etcd,
          handler: simulated.clientHandler(),
          tls: etcdListenerTls,
        }),
      );
      starts.push(
        listeners.http({
          component: 'etcd',
          host: base,
          port: PORTS.etcdPeer,
          handler: simulated.peerHandler(`${scheme}://${base}:${PORTS.etcd}`, `${scheme}://${base}:${PORTS.etcdPeer}`),
          tls: etcdListenerTls,
        }),
      );
    }
    const settled = await Promise.allSettled(starts);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    if (opts.etcd === 'real' && opts.etcdBinary) {
      real = new RealEtcd({
        binary: opts.etcdBinary,
        address: base,
        tls: etcdTls ? { server: etcdServer, ca: etcdCa.cert, client: etcdClient } : undefined,
      });
      listeners.onClose(() => real!.stop());
      await real.start();
      await seedRealEtcd(real, entries);
    }

    let stopped: Promise<void> | undefined;
    const lab: Lab = {
      profile: opts.profile,
      settings,
      version,
      options: opts,
      hosts,
      outside,
      apiServer: `https://${base}:${PORTS.apiserver}`,
      requests: log.entries,
      credentials,
      ca: cluster.cert,
      etcdCa: etcdCa.cert,
      etcdClientCert: etcdClient,
      etcd: opts.etcd,
      secretValues: () => secretValues(store, remembered, credentials),
      kubeconfig: (identity, file) => {
        const text = kubeconfigFor(credentials[identity], `https://${base}:${PORTS.apiserver}`, cluster.cert);
        if (file) writeFileSync(file, text, { mode: 0o600 });
        return text;
      },
      podFiles: (dir, serviceAccount) => {
        const [namespace, name] = serviceAccount.includes('/')
          ? serviceAccount.split('/')
          : ['default', serviceAccount];
        const account = store.get(resourceOfKind(RESOURCES, 'ServiceAccount'), namespace, name);
        if (!account) throw new Error(`the lab has no service account ${namespace}/${name}`);
        const pod = (store.list(resourceOfKind(RESOURCES, 'Pod'), namespace) as unknown as Pod[]).find(
          (p) => p.spec?.serviceAccountName === name,
        );
        const token = signer.sign(
          boundClaims(
            { namespace, name, uid: account.metadata.uid ?? '' },
            randomUUID(),
            pod ? { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' } : undefined,
          ),
        );
        remember(token);
        return writePodFiles(dir, namespace, token, cluster.cert, base, PORTS.apiserver);
      },
      can: (who, attributes) => {
        const user: UserInfo | undefined =
          typeof who === 'object'
            ? who
            : who === 'anonymous'
              ? settings.apiserver.anonymous
                ? ANONYMOUS
                : undefined
              : userOf(credentials[who]);
        return !!user && authorizer.allows(user, attributes);
      },
      clock,
      snapshot: async () => {
        const fs = runtime.snapshot();
        let etcdState: Record<string, string> | null = null;
        if (simulated) etcdState = Object.fromEntries(simulated.entries());
        else if (real) etcdState = Object.fromEntries(await real.gateway.all());
        return canonical({
          objects: objectsSnapshot(store),
          etcd: etcdState,
          hosts: fs.hosts,
          containers: fs.containers,
        }) as LabSnapshot;
      },
      stop: () => {
        stopped ??= listeners.closeAll().finally(() => log.close());
        return stopped;
      },
    };
    return lab;
  } catch (err) {
    await listeners.closeAll();
    log.close();
    throw err;
  }
}

function credentialPair(identity: LabIdentity): { cert?: string; key?: string } {
  return { cert: identity.clientCert, key: identity.clientKey };
}

async function seedRealEtcd(etcd: RealEtcd, entries: [string, string][]): Promise<void> {
  const queue = [...entries];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let e = queue.shift(); e; e = queue.shift()) await etcd.gateway.put(e[0], e[1]);
    }),
  );
}

/** Secret data keys whose values are not secret (a CA certificate, a namespace, a bootstrap token's id and groups). */
const PUBLIC_SECRET_KEYS =
  /^(ca\.crt|namespace|token-id|auth-extra-groups|usage-bootstrap-.+|expiration|description|username)$/;

/** Values of at least 8 characters, so grepping outputs for them never matches by accident. */
function secretValues(store: Store, remembered: Set<string>, credentials: Record<IdentityName, LabIdentity>): string[] {
  const out = new Set<string>(remembered);
  for (const name of IDENTITY_NAMES) {
    const id = credentials[name];
    if (id.token) out.add(id.token);
    if (id.clientKey) out.add(id.clientKey);
  }
  for (const s of store.list(resourceOfKind(RESOURCES, 'Secret'))) {
    for (const [key, value] of Object.entries((s.data as Record<string, string>) ?? {})) {
      if (PUBLIC_SECRET_KEYS.test(key)) continue;
      out.add(Buffer.from(value, 'base64').toString('utf8'));
    }
    for (const value of Object.values((s.stringData as Record<string, string>) ?? {})) out.add(value);
  }
  return [...out].filter((v) => v.length >= 8).sort();
}

/** The fault of each faulty host and port (one per listener, so each counts its own connections). */
function faultsOf(opts: ResolvedLabOptions): (host: string, port: number) => Fault | undefined {
  const specs = opts.faults ?? [];
  const made = new Map<string, Fault>();
  return (host, port) => {
    const spec = specs.find((f) => f.port === port && f.host === host) ?? specs.find((f) => f.port === port && !f.host);
    if (!spec) return undefined;
    const key = `${host}:${port}`;
    let fault = made.get(key);
    if (!fault) {
      fault = new Fault(spec, opts.scale?.seed ?? 1);
      made.set(key, fault);
    }
    return fault;
  };
}
