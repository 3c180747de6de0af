import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { Agent, type buildConnector, request, errors as undiciErrors } from 'undici';
import { NetError, oneLine } from '../core/errors.js';
import type { CertSummary, CredentialSecret, EventPayloads } from '../core/events.js';
import {
  type ConnectScanOptions,
  type ConnectScanStats,
  connectScan,
  type ProbeState,
  type ScanHost,
} from './connect-scan.js';
import { Deadline, deadlineSignal } from './deadline.js';
import { JsonLimitError, parseBounded } from './json-stream.js';
import { credentialRefused, currentCredential } from './renewal.js';
import { type NameResolver, systemResolver } from './resolve.js';
import {
  DEFAULT_RETRY,
  type Outcome,
  type RetryPolicy,
  retryDelay,
  safeMethod,
  sleep,
  transientStatus,
} from './retry.js';
import { hostPort, normalizeAddress, type Scope } from './scope.js';
import { SharedReads } from './shared-reads.js';
import { SharedStreams } from './shared-streams.js';
import { summarizeCertificate } from './tls.js';
import type { Trace } from './trace.js';
import {
  expectedName,
  probeTrust,
  type TrustVerdict,
  trustKey,
  untrusted,
  verifies,
  verifyingOptions,
  x509Problem,
} from './trust.js';

export interface NetworkOptions {
  scope: Scope;
  trace: Trace;
  /** TCP connect timeout, ms. */
  connectTimeoutMs: number;
  /** TLS handshake timeout once TCP connected, ms. Default: half of requestTimeoutMs, at least connectTimeoutMs. */
  handshakeTimeoutMs?: number;
  /** How transient failures are retried (retry.ts); default DEFAULT_RETRY. */
  retry?: RetryPolicy;
  /** Deadline of one attempt of a request (connect, headers and body), ms. */
  requestTimeoutMs: number;
  /** Body size cap: past it the body is cut and marked truncated. */
  maxBodyBytes: number;
  /** TCP connections per second across the run; 0 or undefined for no limit. */
  rate?: number;
  /** Connections in flight when a hunter scans an address it learned (NetClient.scan). Default 64. */
  scanConcurrency?: number;
  /** Verify TLS certificates (off by default: clusters use self-signed certificates). */
  verifyTls?: boolean;
  /**
   * Hostnames already resolved before the run (named targets, API servers of vantage points), with all
   * their addresses, so each is resolved once per run and every address was checked against the scope.
   */
  pinned?: ReadonlyMap<string, readonly string[]>;
  /** How a hostname learned during the run is resolved (default: the system's resolver). */
  resolver?: NameResolver;
}

export type PortState = ProbeState;

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Identity to present: bearer token, client certificate, or basic auth. */
  credential?: CredentialSecret;
  timeoutMs?: number;
  maxBytes?: number;
  /** Follow up to this many redirects, each checked against the scope. Default 0: never followed. */
  followRedirects?: number;
  /**
   * Plain GETs (no body, no redirects followed) are shared by default: a request whose answer is already in
   * the run (same URL, headers and identity, read with a cap at least as big) is not sent again (see
   * shared-reads.ts), until a request that may change state is sent. True: also after one (the read holds
   * for the run, e.g. a kubelet's /pods). False: this read must reach the server.
   */
  shared?: boolean;
  signal?: AbortSignal;
  /**
   * Whether sending the request twice is harmless. Default: true for GET and HEAD and for the read-only
   * requests the hunter declared, false otherwise; state-changing requests set false.
   */
  idempotent?: boolean;
  /** False: the caller reports what it could not examine itself, so a failure publishes no coverage gap. */
  gap?: boolean;
}

/**
 * What the engine gives a hunter's NetClient: the read-only requests the hunter declared (retried like
 * GETs), and where a request that could not be completed (retries spent, timed out) is recorded as a
 * coverage gap, so no hunter writes that boilerplate.
 */
export interface ClientHooks {
  readOnly?: readonly { method: string; path: string }[];
  gap?: (gap: Omit<EventPayloads['CoverageGap'], 'hunter'>) => void;
  /** The run's name for the identity holding a credential (a Credential event's name), for gaps. */
  nameOf?: (credential: CredentialSecret) => string | undefined;
}

/**
 * A GET whose body is read as it arrives (a kubelet's /pods, /stats/summary) instead of being held: no
 * size cap, since the reader keeps only what it derives. Bounded by the caller's signal (the hunter's
 * deadline) and by `timeoutMs` of silence, not by a whole-request deadline.
 */
export interface StreamRequest
  extends Omit<HttpRequest, 'method' | 'body' | 'maxBytes' | 'followRedirects' | 'shared'> {
  /**
   * What the reader derives is shared among this run's streams of the same URL, headers and identity read
   * by the reader of this name (e.g. `pod-digest`), and the body is sent for once.
   */
  shared?: string;
}

/** Status and headers of an answer, before its body is read. */
export interface ResponseHead {
  url: string;
  status: number;
  headers: Record<string, string>;
  cert?: CertSummary;
}

/** Takes a streamed body chunk by chunk; `result` is what was derived, whether or not the body ended. */
export interface BodySink<T> {
  /** Throws (one-line message) when the body is not what the reader accepts: reading stops there. */
  write(chunk: Buffer): void;
  /** Called when the body ended; throws (one line) when it ended before the reader's document did. */
  end?(): void;
  result(): T;
}

export interface StreamedResponse<T> extends ResponseHead {
  value: T;
  /** Body bytes read. */
  bytes: number;
  durationMs: number;
  /** Why the body was not read to its end (a deadline, a reset, a document the reader refused). */
  cut?: string;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  truncated: boolean;
  cert?: CertSummary;
  durationMs: number;
  /** URLs of redirects followed before this response, in order. */
  redirects: string[];
  /** Attempts it took (1 when the first was answered). */
  attempts: number;
  text(): string;
  /** The body parsed as JSON, or undefined when it is not JSON (or nests deeper than 64 levels). */
  json<T = unknown>(): T | undefined;
}

/** The network surface a hunter gets: every call is scope-checked, time-limited and traced under its name. */
export interface NetClient {
  /** The run's deadline of one request attempt, ms (a caller asking again more patiently scales it). */
  readonly requestTimeoutMs: number;
  tcp(host: string, port: number, timeoutMs?: number): Promise<PortState>;
  /**
   * Port scan of one address a hunter learned, as discovery scans targets (one scope check, --rate, the
   * trace); `onOpen` is called for each open port.
   */
  scan(address: string, ports: readonly number[], onOpen: (port: number) => void): Promise<void>;
  http(req: HttpRequest): Promise<HttpResponse>;
  /**
   * A GET whose body goes to `sink(head)` as it arrives. Throws NetError when no answer came; a body cut
   * after the head still answers, with `cut` saying why and the sink's result of what was read.
   */
  stream<T>(req: StreamRequest, sink: (head: ResponseHead) => BodySink<T>): Promise<StreamedResponse<T>>;
  /** Resolves a hostname (once per run); refuses when any of its addresses lies outside the scope. */
  resolve(host: string): Promise<string>;
  inScope(address: string): boolean;
  /**
   * The TLS certificate seen on host:port during this run, if a handshake got that far: also after a
   * request failed, e.g. when the server demanded a client certificate.
   */
  certificate(host: string, port: number): CertSummary | undefined;
}

/** What the answers of shared reads may hold at once (HttpRequest.shared). */
const SHARED_READS_BYTES = 32 * 1024 * 1024;

/**
 * --rate: one budget of new connections per second for the whole run (port scan, hunters' TCP connects and
 * HTTP connections alike), spaced evenly: no burst, whoever asks.
 */
class RateLimiter {
  private next = 0;
  private readonly interval: number;
  constructor(perSecond: number) {
    this.interval = 1000 / perSecond;
  }
  /** Waits for a slot (slots are handed out in the order asked). */
  async take(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + this.interval;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
  /** Takes a slot if one is free now (0); otherwise the ms until one is, and takes nothing. */
  tryTake(): number {
    const now = performance.now();
    if (this.next > now) return this.next - now;
    this.next = now + this.interval;
    return 0;
  }
}

/** The TLS handshake outlived its deadline (the TCP connection was made). */
class HandshakeTimeoutError extends Error {
  override readonly name = 'HandshakeTimeoutError';
  constructor(ms: number) {
    super(`TLS handshake timed out after ${ms} ms`);
  }
}

/** The connection broke under a request: reset, or closed before an answer. */
function isReset(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || /socket hang up/.test(oneLine(err));
}

function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function describeFailure(err: unknown, where: string): NetError {
  if (err instanceof NetError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const msg = oneLine(err);
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new NetError('timeout', `${where}: no answer in time (${msg})`);
  }
  if (err instanceof undiciErrors.ConnectTimeoutError) return new NetError('timeout', `${where}: connect timed out`);
  if (err instanceof HandshakeTimeoutError) return new NetError('timeout', `${where}: ${err.message}`);
  if ((err as Error)?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || (err as Error)?.name === 'TimeoutError') {
    return new NetError('timeout', `${where}: timed out`);
  }
  if (code === 'ECONNREFUSED') return new NetError('refused', `${where}: connection refused`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new NetError('unreachable', `${where}: ${msg}`);
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS|certificate/i.test(msg)) {
    return new NetError('tls', `${where}: TLS failed: ${msg}`);
  }
  if (err instanceof undiciErrors.HTTPParserError || code.startsWith('HPE_') || code === 'UND_ERR_SOCKET') {
    return new NetError('protocol', `${where}: not a valid HTTP answer (${msg})`);
  }
  if (code === 'ECONNRESET') return new NetError('protocol', `${where}: connection reset`);
  return new NetError('protocol', `${where}: ${msg}`);
}

/** A response around its body. */
function withBody(
  head: Omit<HttpResponse, 'body' | 'truncated' | 'text' | 'json'>,
  body: Buffer,
  truncated: boolean,
): HttpResponse {
  return {
    ...head,
    body,
    truncated,
    text: () => body.toString('utf8'),
    // Bounded: a hostile, deeply nested answer is not parsed at all (json-stream.ts).
    json: <T>() => parseBounded<T>(body.toString('utf8')),
  };
}

/** undici's headers, a repeated one joined with commas. */
function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return flat;
}

/** The answer a reader capped at `cap` would have had: the body cut there. */
function cutAt(res: HttpResponse, cap: number): HttpResponse {
  const { body: _body, truncated: _truncated, text: _text, json: _json, ...head } = res;
  return withBody(head, res.body.subarray(0, cap), true);
}

/** A request other than GET or HEAD that the hunter declared read-only (method, and path prefix). */
function declaredReadOnly(hooks: ClientHooks, method: string, url: string): boolean {
  const path = URL.canParse(url) ? new URL(url).pathname : '';
  return (hooks.readOnly ?? []).some((r) => r.method === method && path.startsWith(r.path));
}

/** Sending it twice is harmless: a GET or HEAD, or a read-only request its hunter declared. */
function isSafe(req: HttpRequest, hooks: ClientHooks): boolean {
  const method = req.method ?? 'GET';
  return req.idempotent ?? (safeMethod(method) || declaredReadOnly(hooks, method, req.url));
}

/**
 * Who asked, as a coverage gap names it: the run's name for the identity, else a short non-reversible
 * fingerprint of the credential; never the secret.
 */
function identityOf(credential: CredentialSecret | undefined, hooks: ClientHooks): string {
  if (!credential) return 'anonymous';
  const named = hooks.nameOf?.(credential);
  if (named) return named;
  return `credential sha256:${createHash('sha256').update(JSON.stringify(credential)).digest('hex').slice(0, 8)}`;
}

/** A request its caller stopped (the run was interrupted, the hunter's time ran out): kind `aborted`. */
function stoppedError(signal: AbortSignal, where: string): NetError {
  const why = signal.reason instanceof Error ? signal.reason.message : 'stopped';
  return new NetError('aborted', `${where}: ${why}`);
}

/**
 * The only way kubeferret reaches the network. Every destination is checked against the declared scope
 * (hostnames after resolution, redirect targets, learned addresses), every request is traced, and
 * every operation has a deadline and a size cap.
 */
export class Network {
  private readonly resolved = new Map<string, Promise<string>>();
  private readonly certs = new Map<string, CertSummary>();
  private readonly tlsAlerts = new Map<string, string>();
  private readonly agents = new Map<string, Agent>();
  /** Per credential trust and server: did its certificate pass the credential's check (net/trust.ts). */
  private readonly verdicts = new Map<string, Promise<TrustVerdict>>();
  /** The name the user gave for an address (the first, when several resolve to it): sent as TLS SNI. */
  private readonly serverNames = new Map<string, string>();
  private readonly limiter?: RateLimiter;
  private readonly sharedReads = new SharedReads<HttpResponse>(SHARED_READS_BYTES, cutAt);
  /** Errors raised while connecting: the request they failed was never written. */
  private readonly unsent = new WeakSet<Error>();
  private readonly sharedStreams = new SharedStreams();
  connects = 0;

  constructor(readonly options: NetworkOptions) {
    if (options.rate && options.rate > 0) this.limiter = new RateLimiter(options.rate);
    for (const [host, addresses] of options.pinned ?? []) {
      const first = addresses[0];
      if (first) this.resolved.set(host, Promise.resolve(normalizeAddress(first) ?? first));
      for (const a of addresses) {
        const address = normalizeAddress(a) ?? a;
        if (!this.serverNames.has(address)) this.serverNames.set(address, host);
      }
    }
  }

  get scope(): Scope {
    return this.options.scope;
  }

  for(hunter: string, signal?: AbortSignal, hooks: ClientHooks = {}): NetClient {
    return {
      requestTimeoutMs: this.options.requestTimeoutMs,
      tcp: (host, port, timeoutMs) => this.tcp(hunter, host, port, timeoutMs, signal),
      scan: async (address, ports, onOpen) => {
        await this.connectScan(hunter, [{ address: normalizeAddress(address) ?? address, ports }].values(), {
          concurrency: this.options.scanConcurrency ?? 64,
          timeoutMs: this.options.connectTimeoutMs,
          signal,
          onOpen: (_address, port) => onOpen(port),
        });
      },
      http: (req) => this.http(hunter, { ...req, signal: req.signal ?? signal }, hooks),
      stream: (req, sink) => this.stream(hunter, { ...req, signal: req.signal ?? signal }, sink),
      resolve: (host) => this.resolve(hunter, host),
      inScope: (address) => this.options.scope.contains(address),
      certificate: (host, port) => this.certificate(bareHost(host), port),
    };
  }

  /**
   * Port scan over streamed hosts for discovery: each host is checked against the scope once (a refused
   * one is traced and skipped whole), every connect is counted, and traced when a trace file is written.
   */
  connectScan(
    hunter: string,
    hosts: Iterator<ScanHost>,
    options: Omit<ConnectScanOptions, 'admit' | 'onProbe' | 'pace'>,
  ): Promise<ConnectScanStats> {
    const { trace } = this.options;
    const { limiter } = this;
    return connectScan(hosts, {
      ...options,
      pace: limiter && (() => limiter.tryTake()),
      admit: (address) => {
        if (this.options.scope.contains(address)) return true;
        this.refuse(hunter, 'CONNECT', address, address, `${address} is outside the scope`);
        return false;
      },
      // A probe is traced only when a trace file is written: otherwise no callback per probe.
      onProbe: trace.path
        ? (address, port, state, durationMs) =>
            this.traceConnect(hunter, `tcp://${hostPort(address, port)}`, address, state, durationMs)
        : undefined,
    }).then((stats) => {
      this.connects += stats.probes;
      return stats;
    });
  }

  /** A CONNECT line in the trace file (connects are counted by the network layer, not the trace). */
  private traceConnect(hunter: string, url: string, address: string, state: PortState, durationMs: number): void {
    this.options.trace.record(
      {
        time: new Date().toISOString(),
        hunter,
        method: 'CONNECT',
        url,
        durationMs: Math.round(durationMs),
        error: state === 'open' ? undefined : state,
      },
      address,
    );
  }

  private refuse(hunter: string, method: string, url: string, host: string, why: string): NetError {
    this.options.trace.record(
      { time: new Date().toISOString(), hunter, method, url, durationMs: 0, refused: true, error: why },
      host,
    );
    return new NetError('out-of-scope', why);
  }

  /** Resolves to an in-scope address or throws NetError('out-of-scope'); the refusal is traced. */
  async resolve(hunter: string, host: string, method = 'RESOLVE', url = host): Promise<string> {
    const bare = bareHost(host);
    const literal = normalizeAddress(bare);
    if (literal) {
      if (!this.options.scope.contains(literal)) {
        throw this.refuse(hunter, method, url, literal, `${literal} is outside the scope`);
      }
      return literal;
    }
    let pending = this.resolved.get(bare);
    if (!pending) {
      pending = (this.options.resolver ?? systemResolver)(bare).then(
        (addrs) => {
          if (addrs.length === 0) throw new NetError('unreachable', `${bare} does not resolve`);
          const outside = addrs.filter((a) => !this.options.scope.contains(a));
          if (outside.length > 0) {
            throw new NetError('out-of-scope', `${bare} resolves to ${outside.join(', ')}, outside the scope`);
          }
          return addrs[0];
        },
        (err) => {
          throw new NetError('unreachable', `${bare} does not resolve (${oneLine(err)})`);
        },
      );
      this.resolved.set(bare, pending);
    }
    try {
      return await pending;
    } catch (err) {
      if (err instanceof NetError && err.kind === 'out-of-scope')
        throw this.refuse(hunter, method, url, bare, err.message);
      throw err;
    }
  }

  async tcp(hunter: string, host: string, port: number, timeoutMs?: number, signal?: AbortSignal): Promise<PortState> {
    const url = `tcp://${hostPort(bareHost(host), port)}`;
    const address = await this.resolve(hunter, host, 'CONNECT', url);
    if (this.limiter) await this.limiter.take();
    const timeout = timeoutMs ?? this.options.connectTimeoutMs;
    const started = performance.now();
    this.connects++;
    const state = await new Promise<PortState>((resolve) => {
      const socket = net.connect({ host: address, port });
      let done = false;
      const finish = (s: PortState) => {
        if (done) return;
        done = true;
        deadline.clear();
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(s);
      };
      const onAbort = () => finish('filtered');
      // A connection made while the hunt was busy past the deadline is still open (deadline.ts).
      const deadline = new Deadline(timeout, () => finish('filtered'));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => finish('open'));
      socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'closed' : 'filtered'));
    });
    if (this.options.trace.path) this.traceConnect(hunter, url, address, state, performance.now() - started);
    return state;
  }

  private agentFor(credential: CredentialSecret | undefined): Agent {
    const key = JSON.stringify([
      credential?.clientCert ?? '',
      credential?.clientKey ?? '',
      credential?.ca ?? '',
      verifies(credential) ? trustKey(credential!) : 'any',
    ]);
    let agent = this.agents.get(key);
    if (agent) return agent;
    const verify = this.options.verifyTls ?? false;
    agent = new Agent({
      keepAliveTimeout: 2_000,
      connections: 8,
      connect: (opts, callback) => {
        const hostname = bareHost(opts.hostname);
        const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
        // Second line of defence: even a request that skipped the check in http() cannot connect out of scope.
        this.resolve('network', hostname).then(
          async (address) => {
            // HTTP connections spend the --rate budget as the port scan's do.
            if (this.limiter) await this.limiter.take();
            this.dial(opts.protocol, address, port, hostname, verify, credential, callback);
          },
          (err) => callback(err, null),
        );
      },
    });
    this.agents.set(key, agent);
    return agent;
  }

  /** The TLS handshake's own deadline: by default half the request's, and never shorter than a connect's. */
  private get handshakeTimeoutMs(): number {
    const { handshakeTimeoutMs, connectTimeoutMs, requestTimeoutMs } = this.options;
    return handshakeTimeoutMs ?? Math.max(connectTimeoutMs, Math.round(requestTimeoutMs / 2));
  }

  /**
   * Opens one connection for the HTTP client, with a deadline for the TCP connect and another for the TLS
   * handshake (a slow link or a busy server takes longer to shake hands than to accept). Whatever fails
   * here failed before any request was written: marked `unsent`, so even a state-changing request may be
   * sent again.
   */
  private dial(
    protocol: string,
    address: string,
    port: number,
    hostname: string,
    verify: boolean,
    credential: CredentialSecret | undefined,
    callback: buildConnector.Callback,
  ): void {
    let settled = false;
    let socket: net.Socket | undefined;
    const settle = (err: Error | null, sock?: net.Socket) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      if (err) {
        this.unsent.add(err);
        sock?.destroy();
        callback(err, null);
      } else callback(null, sock!);
    };
    // Both deadlines let a connection made while the hunt was busy past them count (deadline.ts).
    let deadline = new Deadline(this.options.connectTimeoutMs, () =>
      settle(new undiciErrors.ConnectTimeoutError(), socket),
    );
    const onTcp = () => {
      deadline.clear();
      deadline = new Deadline(this.handshakeTimeoutMs, () =>
        settle(new HandshakeTimeoutError(this.handshakeTimeoutMs), socket),
      );
    };
    // A certificate the credential's source does not trust fails as such, in kubectl's words.
    const settleChecked = (err: Error | null, sock?: net.Socket) =>
      settle(this.trustFailure(err, credential, `https://${hostPort(address, port)}`, hostname, address), sock);
    try {
      socket = this.openSocket(protocol, address, port, hostname, verify, credential, settleChecked, onTcp);
    } catch (err) {
      // A malformed client key or certificate throws synchronously from tls.connect.
      settle(new NetError('tls', `TLS setup failed: ${oneLine(err)}`), socket);
      return;
    }
    socket.once('error', (err) => settleChecked(err, socket));
  }

  private openSocket(
    protocol: string,
    address: string,
    port: number,
    hostname: string,
    verify: boolean,
    credential: CredentialSecret | undefined,
    settle: (err: Error | null, sock?: net.Socket) => void,
    onTcp: () => void,
  ): net.Socket {
    let socket: net.Socket;
    if (protocol === 'https:') {
      const tlsSocket = tls.connect({
        host: address,
        port,
        // Discovery scans a named target by address; the name still goes out as SNI, since a server behind
        // an SNI-routing proxy (or with one certificate per name) answers by it.
        servername: net.isIP(hostname) ? this.serverNames.get(address) : hostname,
        rejectUnauthorized: verify,
        ca: credential?.ca,
        cert: credential?.clientCert,
        key: credential?.clientKey,
        ALPNProtocols: ['http/1.1'],
        // A credential's connection checks the server as its source trusts, whatever the scan does.
        ...(verifies(credential) ? verifyingOptions(credential!, this.nameUsed(hostname, address), address) : {}),
      });
      socket = tlsSocket;
      tlsSocket.once('connect', onTcp);
      const keepCertificate = () => {
        const summary = summarizeCertificate(tlsSocket.getPeerCertificate());
        if (summary) this.certs.set(`${address}:${port}`, summary);
      };
      tlsSocket.once('secureConnect', () => {
        keepCertificate();
        settle(null, tlsSocket);
      });
      // A handshake the server broke off (e.g. no client certificate) may still have shown its own
      // certificate, and its alert says why; the HTTP client only sees the connection close.
      tlsSocket.once('error', (err: NodeJS.ErrnoException) => {
        keepCertificate();
        const alert = /alert ([a-z ]+?)(?::|$)/.exec(err.message)?.[1];
        if (err.code?.startsWith('ERR_SSL')) {
          this.tlsAlerts.set(
            `${address}:${port}`,
            alert ? `the server sent TLS alert "${alert}" (${err.code})` : oneLine(err),
          );
        }
      });
    } else {
      socket = net.connect({ host: address, port });
      socket.once('connect', () => settle(null, socket));
    }
    return socket;
  }

  /** The name a connection to `address` stands for: the one the user gave for it, else the address. */
  private nameUsed(hostname: string, address: string): string {
    return net.isIP(hostname) ? (this.serverNames.get(address) ?? address) : hostname;
  }

  /** A certificate check that failed on a credential's connection, as the one line the user reads. */
  private trustFailure(
    err: Error | null,
    credential: CredentialSecret | undefined,
    where: string,
    hostname: string,
    address: string,
  ): Error | null {
    if (!err || !verifies(credential)) return err;
    const code = (err as NodeJS.ErrnoException).code;
    const identityError = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? err : undefined;
    const problem = x509Problem(
      code,
      identityError,
      expectedName(credential!, this.nameUsed(hostname, address), address),
    );
    return problem === `x509: ${code}` || !code ? err : untrusted(where, problem);
  }

  /**
   * Before a credential goes to a server over TLS, the server's certificate is checked as the credential's
   * source trusts (once per trust and server): a server that fails gets nothing, not even the client
   * certificate's handshake, and the failure is traced.
   */
  private async ensureTrusted(
    hunter: string,
    credential: CredentialSecret,
    address: string,
    port: number,
    hostname: string,
  ) {
    const key = `${trustKey(credential)}|${address}|${port}`;
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      verdict = (async () => {
        if (this.limiter) await this.limiter.take();
        this.connects++;
        return probeTrust(
          { host: address, port },
          credential,
          this.nameUsed(hostname, address),
          this.options.connectTimeoutMs + this.options.requestTimeoutMs,
        );
      })();
      this.verdicts.set(key, verdict);
    }
    const result = await verdict;
    if (result.ok !== false) return;
    const where = `https://${hostPort(address, port)}`;
    this.options.trace.record(
      { time: new Date().toISOString(), hunter, method: 'TLS', url: where, durationMs: 0, error: result.problem },
      address,
    );
    throw untrusted(where, result.problem);
  }

  async http(hunter: string, req: HttpRequest, hooks: ClientHooks = {}): Promise<HttpResponse> {
    const plainGet = (req.method ?? 'GET') === 'GET' && req.body === undefined;
    if (plainGet && req.shared !== false && !req.followRedirects) {
      const key = SharedReads.key(req.url, req.headers, req.credential);
      const cap = req.maxBytes ?? this.options.maxBodyBytes;
      return this.sharedReads.get(key, cap, () => this.once(hunter, req, [], hooks), req.shared === true);
    }
    // What was read before a change may no longer be true.
    if (!isSafe(req, hooks)) this.sharedReads.forgetUnpinned();
    const redirects: string[] = [];
    let url = req.url;
    let method = req.method ?? 'GET';
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const res = await this.once(hunter, { ...req, url, method, body }, redirects, hooks);
      const location = res.headers.location;
      const follow = req.followRedirects ?? 0;
      if (res.status < 300 || res.status >= 400 || !location || hop >= follow) return res;
      const next = new URL(location, url).toString();
      redirects.push(next);
      url = next;
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  }

  /**
   * One request, sent again after a transient failure as long as the retry policy, the request's safety and
   * the caller's signal allow. When it still failed (or still got a 429/5xx), the hunter's coverage hook
   * hears of it, unless the caller asked to report that itself or its own deadline cut the request.
   */
  private async once(hunter: string, req: HttpRequest, redirects: string[], hooks: ClientHooks): Promise<HttpResponse> {
    const method = req.method ?? 'GET';
    const safe = isSafe(req, hooks);
    const policy = this.options.retry ?? DEFAULT_RETRY;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(hunter, req, redirects, attempt);
      const seen: Outcome =
        'status' in outcome ? { status: outcome.status, retryAfter: outcome.headers['retry-after'] } : outcome;
      const wait = req.signal?.aborted ? undefined : retryDelay(seen, attempt, safe, policy);
      if (wait === undefined) {
        if (req.gap !== false && !req.signal?.aborted) this.reportGap(req, method, seen, attempt, hooks);
        if ('failure' in outcome) throw outcome.failure;
        return outcome;
      }
      try {
        await sleep(wait, req.signal);
      } catch {
        if ('failure' in outcome) throw outcome.failure;
        return outcome;
      }
    }
  }

  /** A request that could not be completed is a coverage gap of its hunter: retries spent, or timed out. */
  private reportGap(req: HttpRequest, method: string, seen: Outcome, attempts: number, hooks: ClientHooks): void {
    if (!hooks.gap) return;
    const incomplete = 'status' in seen ? transientStatus(seen.status) : seen.failure.kind === 'timeout' || seen.reset;
    if (!incomplete) return;
    const url = new URL(req.url);
    // The failure quotes the URL, which may carry a secret in its query: written as the trace writes it.
    const what =
      'status' in seen ? `still HTTP ${seen.status}` : this.options.trace.redactor.text(seen.failure.message);
    hooks.gap({
      host: bareHost(url.hostname),
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      subject: `${method} ${url.pathname} (${identityOf(req.credential, hooks)})`,
      reason: attempts > 1 || 'status' in seen ? 'retry-budget' : seen.failure.kind === 'timeout' ? 'timeout' : 'error',
      detail: `${what}, after ${attempts} attempt${attempts > 1 ? 's' : ''}`,
    });
  }

  /**
   * Where a request goes: its URL checked, the caller not stopped (undici would still wait for a connection
   * already being made), the host resolved inside the scope, and for a credential over TLS, the server
   * trusted as the credential's source trusts it.
   */
  private async destination(
    hunter: string,
    req: Pick<HttpRequest, 'url' | 'signal' | 'credential'>,
    method: string,
  ): Promise<{ parsed: URL; address: string; port: number }> {
    let parsed: URL;
    try {
      parsed = new URL(req.url);
    } catch {
      throw new NetError('protocol', `"${req.url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new NetError('protocol', `${req.url}: only http and https are supported`);
    }
    if (req.signal?.aborted) throw stoppedError(req.signal, `${method} ${req.url}`);
    const address = await this.resolve(hunter, parsed.hostname, method, req.url);
    const port = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
    if (parsed.protocol === 'https:' && verifies(req.credential)) {
      await this.ensureTrusted(hunter, req.credential!, address, port, bareHost(parsed.hostname));
    }
    return { parsed, address, port };
  }

  /** The request's headers with its credential, renewed first when its source can issue it again. */
  private async authorized(
    req: Pick<HttpRequest, 'headers' | 'credential'>,
  ): Promise<{ headers: Record<string, string>; cred: CredentialSecret | undefined }> {
    const headers: Record<string, string> = { 'user-agent': 'kubeferret', accept: '*/*', ...req.headers };
    const cred = await currentCredential(req.credential, (fresh) => this.options.trace.redactor.addSecret(fresh));
    authorize(headers, cred);
    return { headers, cred };
  }

  /** A connection the HTTP client saw only close, told by the TLS alert the server sent, if one came. */
  private withTlsAlert(failure: NetError, where: string, parsed: URL, address: string, port: number): NetError {
    const alert = parsed.protocol === 'https:' ? this.tlsAlerts.get(`${address}:${port}`) : undefined;
    if (!alert || failure.kind !== 'protocol') return failure;
    this.tlsAlerts.delete(`${address}:${port}`);
    return new NetError('tls', `${where}: TLS failed: ${alert}`);
  }

  private async attempt(
    hunter: string,
    req: HttpRequest,
    redirects: string[],
    attempt: number,
  ): Promise<HttpResponse | Extract<Outcome, { failure: NetError }>> {
    const method = req.method ?? 'GET';
    const { parsed, address, port } = await this.destination(hunter, req, method);
    const started = performance.now();
    const timeoutMs = req.timeoutMs ?? this.options.requestTimeoutMs;
    const maxBytes = req.maxBytes ?? this.options.maxBodyBytes;
    // The whole request (connect, head and body) within timeoutMs of the server's time: an answer that came
    // while the hunt itself was busy past it is read (deadline.ts). undici's own deadlines are off, so
    // that this one decides.
    const { signal: timedOut, deadline } = deadlineSignal(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timedOut]) : timedOut;
    const { headers, cred } = await this.authorized(req);
    const record = (status: number | undefined, bytes: number | undefined, error?: string) =>
      this.options.trace.record(
        {
          time: new Date().toISOString(),
          hunter,
          method,
          url: req.url,
          status,
          bytes,
          durationMs: Math.round(performance.now() - started),
          error,
          ...(attempt > 1 && { attempt }),
        },
        address,
      );
    try {
      const res = await request(req.url, {
        method: method as 'GET',
        headers,
        body: req.body,
        dispatcher: this.agentFor(cred),
        signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (size + chunk.length > maxBytes) {
          chunks.push(chunk.subarray(0, maxBytes - size));
          size = maxBytes;
          truncated = true;
          res.body.destroy();
          break;
        }
        chunks.push(chunk);
        size += chunk.length;
      }
      const buf = Buffer.concat(chunks, size);
      const flatHeaders = flatten(res.headers);
      record(res.statusCode, size, truncated ? 'truncated' : undefined);
      if (res.statusCode === 401) credentialRefused(cred, this.nameUsed(bareHost(parsed.hostname), address), address);
      return withBody(
        {
          url: req.url,
          status: res.statusCode,
          headers: flatHeaders,
          cert: parsed.protocol === 'https:' ? this.certs.get(`${address}:${port}`) : undefined,
          durationMs: Math.round(performance.now() - started),
          redirects: [...redirects],
          attempts: attempt,
        },
        buf,
        truncated,
      );
    } catch (err) {
      // The caller's own stop (the run interrupted, the hunter's deadline) is not the server's doing.
      const failure =
        req.signal?.aborted && !timedOut.aborted
          ? stoppedError(req.signal, `${method} ${req.url}`)
          : this.withTlsAlert(
              describeFailure(err, `${method} ${req.url}`),
              `${method} ${req.url}`,
              parsed,
              address,
              port,
            );
      if (failure.kind === 'out-of-scope') throw failure;
      record(undefined, undefined, failure.message);
      return { failure, unsent: err instanceof Error && this.unsent.has(err), reset: isReset(err) };
    } finally {
      deadline.clear();
    }
  }

  /**
   * Streams one GET's body into a sink (NetClient.stream): the same scope check, connection pool, --rate
   * budget and trace line as http(), but no body cap and no whole-request deadline.
   */
  stream<T>(
    hunter: string,
    req: StreamRequest,
    sink: (head: ResponseHead) => BodySink<T>,
  ): Promise<StreamedResponse<T>> {
    if (req.shared) {
      const key = SharedReads.key(req.url, req.headers, req.credential);
      // A read cut short (the first asker's deadline, say) is handed to those already waiting, then
      // forgotten, so a later asker reads again.
      return this.sharedStreams.get(
        `${req.shared}|${key}`,
        () => this.streamOnce(hunter, req, sink),
        (r) => !r.cut,
      );
    }
    return this.streamOnce(hunter, req, sink);
  }

  private async streamOnce<T>(
    hunter: string,
    req: StreamRequest,
    sink: (head: ResponseHead) => BodySink<T>,
  ): Promise<StreamedResponse<T>> {
    // The same steps as http(): the credential goes only where its source's trust goes, and is renewed
    // first when its source can issue it again and it expired or was refused.
    const { parsed, address, port } = await this.destination(hunter, req, 'GET');
    const started = performance.now();
    const silenceMs = req.timeoutMs ?? this.options.requestTimeoutMs;
    const { headers, cred } = await this.authorized(req);
    const record = (status: number | undefined, bytes: number | undefined, error?: string) =>
      this.options.trace.record(
        {
          time: new Date().toISOString(),
          hunter,
          method: 'GET',
          url: req.url,
          status,
          bytes,
          durationMs: Math.round(performance.now() - started),
          error,
        },
        address,
      );
    // The head must come within the request deadline; after it, only the caller's signal and silence count:
    // one deadline, touched by the head and by every chunk. Like http()'s, it lets what came while the hunt
    // was busy past it count (deadline.ts), and undici's own deadlines are off.
    const { signal: silent, deadline } = deadlineSignal(silenceMs);
    const signal = req.signal ? AbortSignal.any([req.signal, silent]) : silent;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(req.url, {
        method: 'GET',
        headers,
        dispatcher: this.agentFor(cred),
        signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (err) {
      deadline.clear();
      const failure = this.withTlsAlert(
        describeFailure(err, `GET ${req.url}`),
        `GET ${req.url}`,
        parsed,
        address,
        port,
      );
      if (failure.kind !== 'out-of-scope') record(undefined, undefined, failure.message);
      throw failure;
    }
    deadline.touch();
    if (res.statusCode === 401) credentialRefused(cred, this.nameUsed(bareHost(parsed.hostname), address), address);
    const flatHeaders = flatten(res.headers);
    const head: ResponseHead = {
      url: req.url,
      status: res.statusCode,
      headers: flatHeaders,
      cert: parsed.protocol === 'https:' ? this.certs.get(`${address}:${port}`) : undefined,
    };
    const reader = sink(head);
    let bytes = 0;
    let cut: string | undefined;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        deadline.touch();
        bytes += chunk.length;
        try {
          reader.write(chunk);
        } catch (err) {
          cut = `${oneLine(err)} (after ${bytes} bytes)`;
          break;
        }
      }
      if (cut === undefined) reader.end?.();
    } catch (err) {
      cut =
        err instanceof JsonLimitError
          ? `${err.message} (after ${bytes} bytes)`
          : `${describeFailure(err, `GET ${req.url}`).message} (after ${bytes} bytes)`;
    } finally {
      deadline.clear();
      if (cut !== undefined) res.body.destroy();
    }
    record(res.statusCode, bytes, cut);
    return { ...head, value: reader.result(), bytes, durationMs: Math.round(performance.now() - started), cut };
  }

  /** The certificate seen on an address:port during this run, if any TLS connection was made. */
  certificate(address: string, port: number): CertSummary | undefined {
    return this.certs.get(`${normalizeAddress(address) ?? address}:${port}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.destroy().catch(() => undefined)));
    this.agents.clear();
  }
}

/** The credential's Authorization header, as client-go sends it: a bearer token, else basic auth. */
function authorize(headers: Record<string, string>, cred: CredentialSecret | undefined): void {
  if (cred?.token) headers.authorization = `Bearer ${cred.token}`;
  else if (cred?.username !== undefined && cred.password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
  }
}
