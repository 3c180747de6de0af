import { NetError } from '../core/errors.js';
import type { EventPayloads, Scheme } from '../core/events.js';
import type { HuntContext } from '../core/hunter.js';
import type {
  BodySink,
  HttpRequest,
  HttpResponse,
  ResponseHead,
  StreamedResponse,
  StreamRequest,
} from '../net/network.js';
import { hostPort } from '../net/scope.js';

/** Where a service listens, as a ServiceFound (or a Finding and its scheme) says. */
export interface ServiceAddress {
  host: string;
  port: number;
  scheme: Scheme;
}

/** `https://10.0.0.5:10250/pods`, an IPv6 address in brackets. */
export function serviceUrl(service: ServiceAddress, path: string): string {
  return `${service.scheme}://${hostPort(service.host, service.port)}${path}`;
}

/**
 * The requests one hunter sends to one service. A network failure (timeout, reset, TLS error, garbage) is
 * logged once as a warning and ends the conversation: later requests answer undefined at once, so a dead
 * or hostile port costs one deadline and one line, and the hunt goes on. Send requests one after the other:
 * they then share one kept-alive connection (one TLS handshake per service, which matters on a busy host).
 */
export class ServiceProbe {
  private failure?: string;

  constructor(
    private readonly ctx: HuntContext,
    readonly service: ServiceAddress,
  ) {}

  /** The first network failure, if there was one. */
  get failed(): string | undefined {
    return this.failure;
  }

  async send(path: string, init: Omit<HttpRequest, 'url'> = {}): Promise<HttpResponse | undefined> {
    if (this.failure !== undefined || this.ctx.signal.aborted) return undefined;
    try {
      return await this.ctx.net.http({ ...init, url: serviceUrl(this.service, path) });
    } catch (err) {
      if (!(err instanceof NetError)) throw err;
      if (this.failure === undefined && !this.ctx.signal.aborted) this.ctx.log(err.message, 'warn');
      this.failure ??= err.message;
      return undefined;
    }
  }

  get(path: string, init: Omit<HttpRequest, 'url' | 'method' | 'body'> = {}): Promise<HttpResponse | undefined> {
    return this.send(path, init);
  }

  /** A GET whose body is read as a stream (NetClient.stream), with the same failure handling as send. */
  async stream<T>(
    path: string,
    sink: (head: ResponseHead) => BodySink<T>,
    init: Omit<StreamRequest, 'url'> = {},
  ): Promise<StreamedResponse<T> | undefined> {
    if (this.failure !== undefined || this.ctx.signal.aborted) return undefined;
    try {
      return await this.ctx.net.stream({ ...init, url: serviceUrl(this.service, path) }, sink);
    } catch (err) {
      if (!(err instanceof NetError)) throw err;
      if (this.failure === undefined && !this.ctx.signal.aborted) this.ctx.log(err.message, 'warn');
      this.failure ??= err.message;
      return undefined;
    }
  }
}

/** The ServiceFound a finding or fact about `host:port` came from, for its scheme. */
export function serviceOf(ctx: HuntContext, host: string, port: number): ServiceAddress | undefined {
  return ctx.known('ServiceFound', (s) => s.host === host && s.port === port)[0];
}

/**
 * Publishes a version a service disclosed, unless one is already known for its port (discovery's
 * fingerprint publishes most of them), so the CVE hunter sees each port's version once.
 */
export function publishVersion(
  ctx: HuntContext,
  service: ServiceAddress,
  component: EventPayloads['Version']['component'],
  version: string,
): void {
  if (ctx.known('Version', (v) => v.host === service.host && v.port === service.port).length > 0) return;
  ctx.publish('Version', { host: service.host, port: service.port, component, version });
}
