import net from 'node:net';
import tls from 'node:tls';
import { Agent, request, errors as undiciErrors } from 'undici';
import { NetError, oneLine } from '../core/errors.js';
import type { CertSummary, CredentialSecret } from '../core/events.js';
import {
  type ConnectScanOptions,
  type ConnectScanStats,
  connectScan,
  type ProbeState,
  type ScanHost,
} from './connect-scan.js';
import { JsonLimitError, parseBounded } from './json-stream.js';
import { type NameResolver, systemResolver } from './resolve.js';
import { hostPort, normalizeAddress, type Scope } from './scope.js';
import { SharedReads } from './shared-reads.js';
import { SharedStreams } from './shared-streams.js';
import { summarizeCertificate } from './tls.js';
import type { Trace } from './trace.js';

export interface NetworkOptions {
  scope: Scope;
  trace: Trace;
  /** TCP connect timeout, ms. */
  connectTimeoutMs: number;
  /** Whole-request deadline (connect, headers and body), ms. */
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
   * A GET whose answer other hunters need too (a kubelet's /pods, an API list): the answer is shared among
   * the run's requests for the same URL, headers, identity and size cap, and sent once. Ignored on any
   * other request.
   */
  shared?: boolean;
  signal?: AbortSignal;
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
  text(): string;
  /** The body parsed as JSON, or undefined when it is not JSON (or nests deeper than 64 levels). */
  json<T = unknown>(): T | undefined;
}

/** The network surface a hunter gets: every call is scope-checked, time-limited and traced under its name. */
export interface NetClient {
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
  /** The name the user gave for an address (the first, when several resolve to it): sent as TLS SNI. */
  private readonly serverNames = new Map<string, string>();
  private readonly limiter?: RateLimiter;
  private readonly sharedReads = new SharedReads<HttpResponse>(SHARED_READS_BYTES);
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

  for(hunter: string, signal?: AbortSignal): NetClient {
    return {
      tcp: (host, port, timeoutMs) => this.tcp(hunter, host, port, timeoutMs, signal),
      scan: async (address, ports, onOpen) => {
        await this.connectScan(hunter, [{ address: normalizeAddress(address) ?? address, ports }].values(), {
          concurrency: this.options.scanConcurrency ?? 64,
          timeoutMs: this.options.connectTimeoutMs,
          signal,
          onOpen: (_address, port) => onOpen(port),
        });
      },
      http: (req) => this.http(hunter, { ...req, signal: req.signal ?? signal }),
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
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(s);
      };
      const onAbort = () => finish('filtered');
      const timer = setTimeout(() => finish('filtered'), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => finish('open'));
      socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'closed' : 'filtered'));
    });
    if (this.options.trace.path) this.traceConnect(hunter, url, address, state, performance.now() - started);
    return state;
  }

  private agentFor(credential: CredentialSecret | undefined): Agent {
    const key = JSON.stringify([credential?.clientCert ?? '', credential?.clientKey ?? '', credential?.ca ?? '']);
    let agent = this.agents.get(key);
    if (agent) return agent;
    const verify = this.options.verifyTls ?? false;
    const connectTimeout = this.options.connectTimeoutMs;
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
            let settled = false;
            const settle = (err: Error | null, sock?: net.Socket) => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              if (err) {
                sock?.destroy();
                callback(err, null);
              } else callback(null, sock!);
            };
            const timer = setTimeout(() => settle(new undiciErrors.ConnectTimeoutError(), socket), connectTimeout);
            let socket: net.Socket | undefined;
            try {
              socket = this.openSocket(opts.protocol, address, port, hostname, verify, credential, settle);
            } catch (err) {
              // A malformed client key or certificate throws synchronously from tls.connect.
              settle(new NetError('tls', `TLS setup failed: ${oneLine(err)}`), socket);
              return;
            }
            socket.once('error', (err) => settle(err, socket));
          },
          (err) => callback(err, null),
        );
      },
    });
    this.agents.set(key, agent);
    return agent;
  }

  private openSocket(
    protocol: string,
    address: string,
    port: number,
    hostname: string,
    verify: boolean,
    credential: CredentialSecret | undefined,
    settle: (err: Error | null, sock?: net.Socket) => void,
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
      });
      socket = tlsSocket;
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

  async http(hunter: string, req: HttpRequest): Promise<HttpResponse> {
    const plainGet = (req.method ?? 'GET') === 'GET' && req.body === undefined;
    if (req.shared && plainGet && !req.followRedirects) {
      const key = SharedReads.key(req.url, req.headers, req.credential, req.maxBytes ?? this.options.maxBodyBytes);
      return this.sharedReads.get(key, () => this.once(hunter, req, []));
    }
    const redirects: string[] = [];
    let url = req.url;
    let method = req.method ?? 'GET';
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const res = await this.once(hunter, { ...req, url, method, body }, redirects);
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

  private async once(hunter: string, req: HttpRequest, redirects: string[]): Promise<HttpResponse> {
    const method = req.method ?? 'GET';
    let parsed: URL;
    try {
      parsed = new URL(req.url);
    } catch {
      throw new NetError('protocol', `"${req.url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new NetError('protocol', `${req.url}: only http and https are supported`);
    }
    const address = await this.resolve(hunter, parsed.hostname, method, req.url);
    const port = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
    const started = performance.now();
    const timeoutMs = req.timeoutMs ?? this.options.requestTimeoutMs;
    const maxBytes = req.maxBytes ?? this.options.maxBodyBytes;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    const headers: Record<string, string> = { 'user-agent': 'kubeferret', accept: '*/*', ...req.headers };
    const cred = req.credential;
    if (cred?.token) headers.authorization = `Bearer ${cred.token}`;
    else if (cred?.username !== undefined && cred.password !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
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
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
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
      const flatHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined) flatHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      record(res.statusCode, size, truncated ? 'truncated' : undefined);
      return {
        url: req.url,
        status: res.statusCode,
        headers: flatHeaders,
        body: buf,
        truncated,
        cert: parsed.protocol === 'https:' ? this.certs.get(`${address}:${port}`) : undefined,
        durationMs: Math.round(performance.now() - started),
        redirects: [...redirects],
        text: () => buf.toString('utf8'),
        json: <T>() => parseBounded<T>(buf.toString('utf8')),
      };
    } catch (err) {
      let failure = describeFailure(err, `${method} ${req.url}`);
      const alert = parsed.protocol === 'https:' ? this.tlsAlerts.get(`${address}:${port}`) : undefined;
      if (alert && failure.kind === 'protocol') {
        this.tlsAlerts.delete(`${address}:${port}`);
        failure = new NetError('tls', `${method} ${req.url}: TLS failed: ${alert}`);
      }
      if (failure.kind !== 'out-of-scope') record(undefined, undefined, failure.message);
      throw failure;
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
      const key = SharedReads.key(req.url, req.headers, req.credential, 0);
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
    let parsed: URL;
    try {
      parsed = new URL(req.url);
    } catch {
      throw new NetError('protocol', `"${req.url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new NetError('protocol', `${req.url}: only http and https are supported`);
    }
    const address = await this.resolve(hunter, parsed.hostname, 'GET', req.url);
    const port = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
    const started = performance.now();
    const silenceMs = req.timeoutMs ?? this.options.requestTimeoutMs;
    const headers: Record<string, string> = { 'user-agent': 'kubeferret', accept: '*/*', ...req.headers };
    const cred = req.credential;
    if (cred?.token) headers.authorization = `Bearer ${cred.token}`;
    else if (cred?.username !== undefined && cred.password !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
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
    // The head must come within the request deadline; after it, only the caller's signal and silence count.
    const headDeadline = new AbortController();
    const headTimer = setTimeout(() => headDeadline.abort(), silenceMs);
    const signal = req.signal ? AbortSignal.any([req.signal, headDeadline.signal]) : headDeadline.signal;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(req.url, {
        method: 'GET',
        headers,
        dispatcher: this.agentFor(cred),
        signal,
        headersTimeout: silenceMs,
        bodyTimeout: silenceMs,
      });
    } catch (err) {
      clearTimeout(headTimer);
      let failure = describeFailure(err, `GET ${req.url}`);
      const alert = parsed.protocol === 'https:' ? this.tlsAlerts.get(`${address}:${port}`) : undefined;
      if (alert && failure.kind === 'protocol') {
        this.tlsAlerts.delete(`${address}:${port}`);
        failure = new NetError('tls', `GET ${req.url}: TLS failed: ${alert}`);
      }
      if (failure.kind !== 'out-of-scope') record(undefined, undefined, failure.message);
      throw failure;
    }
    clearTimeout(headTimer);
    const flatHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) flatHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    }
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
