import { NetError } from '../../core/errors.js';
import type { CertSummary, Scheme } from '../../core/events.js';
import type {
  BodySink,
  HttpRequest,
  HttpResponse,
  NetClient,
  ResponseHead,
  StreamedResponse,
} from '../../net/network.js';
import { hostPort } from '../../net/scope.js';

/** One HTTP answer, reduced to what fingerprinting reads. */
export interface Answer {
  path: string;
  status: number;
  contentType: string;
  server: string;
  headers: Record<string, string>;
  /**
   * The body as text; for a JSON-looking body only its first JSON_EXCERPT characters (what classifying
   * reads of it is `json`, or the first key of a cut document).
   */
  text: string;
  truncated: boolean;
  /** The body parsed as JSON when it is (and was not cut), else undefined. */
  json: unknown;
}

/** Why a port gave no HTTP answer at all. */
export type Silence = 'timeout' | 'not-http' | 'refused' | 'tls-client-cert' | 'tls-failed';

// Ports where components serve TLS: try HTTPS first there, to save a round trip. The kind is never
// decided by the port.
const TLS_FIRST = new Set([443, 2379, 2380, 4443, 6443, 8443, 9443, 10250, 10257, 10259]);

// OpenSSL's words for "this peer is not speaking TLS at all".
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure|http request/i;
// The server ended the handshake because no client certificate was offered.
const WANTS_CLIENT_CERT =
  /certificate required|CERTIFICATE_REQUIRED|handshake failure|HANDSHAKE_FAILURE|bad certificate|BAD_CERTIFICATE/i;
// What Go and nginx say when plain HTTP reaches their TLS port.
const HTTP_TO_TLS = /Client sent an HTTP request to an HTTPS server|plain HTTP request was sent to HTTPS port/i;

const BODY_CAP = 512 * 1024;

/** A request that went unanswered is asked once more, with this many times the run's request deadline. */
export const PATIENCE = 2;

/** How a body is read: its cap, and whether the answer is shared with other hunters. */
export type BodyRead = Pick<HttpRequest, 'maxBytes' | 'shared'>;

/**
 * What is kept of a JSON-looking body's text. Answers live until the port is classified, a body each path:
 * a parsed document is held once (as `json`), and one that would not parse (too deep, malformed, cut) is
 * held as no more than is read of it, not as the hundreds of kilobytes a hostile host sends.
 */
export const JSON_EXCERPT = 4096;

function answerOf(path: string, res: HttpResponse, unreadable?: string[]): Answer {
  let text = res.text();
  let json: unknown;
  if (/^\s*[[{]/.test(text)) {
    if (!res.truncated) {
      json = res.json();
      if (json === undefined) unreadable?.push(path);
    }
    // From the bytes, not text.slice(): V8 may keep a slice as a view that holds the whole text alive.
    if (text.length > JSON_EXCERPT) text = res.body.subarray(0, JSON_EXCERPT).toString('utf8');
  }
  return {
    path,
    status: res.status,
    contentType: res.headers['content-type'] ?? '',
    server: res.headers.server ?? '',
    headers: res.headers,
    text,
    truncated: res.truncated,
    json,
  };
}

/** A streamed answer's head as an Answer, with `text` what the reader kept of its body. */
export function answerOfHead(path: string, head: ResponseHead, text: string): Answer {
  return {
    path,
    status: head.status,
    contentType: head.headers['content-type'] ?? '',
    server: head.headers.server ?? '',
    headers: head.headers,
    text,
    truncated: false,
    json: undefined,
  };
}

/**
 * A conversation with one open port: finds whether it speaks HTTP or HTTPS, then answers GETs, each path
 * asked once. Everything goes through the hunter's NetClient (scope, deadlines, size caps, trace).
 */
export class Conversation {
  scheme?: Scheme;
  cert?: CertSummary;
  silence?: Silence;
  /** One line on why the port gave no HTTP answer. */
  silenceDetail = '';
  private readonly answers = new Map<string, Promise<Answer | undefined>>();
  /** Set when a request went unanswered twice: a port that stalls is not asked on and on. */
  private stalled = false;
  /** Paths that went unanswered, even when asked again with a longer deadline. */
  readonly unanswered: string[] = [];
  /** Paths whose whole answer looked like JSON but could not be read (malformed, or nested too deep). */
  readonly unreadable: string[] = [];

  constructor(
    private readonly net: NetClient,
    readonly host: string,
    readonly port: number,
  ) {}

  private url(scheme: Scheme, path: string): string {
    return `${scheme}://${hostPort(this.host, this.port)}${path}`;
  }

  /**
   * GETs `path`; a request that timed out (the network layer has already retried what was transient) is
   * asked once more with a longer deadline: a busy component answers late, and silence is not an answer.
   * Fingerprinting reports what stayed unanswered itself (CoverageGap `unanswered`), so the network layer
   * does not.
   */
  private async send(
    scheme: Scheme,
    path: string,
    headers?: Record<string, string>,
    read: BodyRead = { maxBytes: BODY_CAP },
  ): Promise<HttpResponse> {
    const req = { url: this.url(scheme, path), headers, ...read, gap: false };
    try {
      return await this.net.http(req);
    } catch (err) {
      if (!(err instanceof NetError) || err.kind !== 'timeout') throw err;
      try {
        return await this.net.http({ ...req, timeoutMs: this.net.requestTimeoutMs * PATIENCE });
      } catch (again) {
        if (again instanceof NetError && again.kind === 'timeout') this.unanswered.push(path);
        throw again;
      }
    }
  }

  /** Decides the scheme with a first request for `path`; false when the port gives no HTTP answer. */
  async open(path: string): Promise<boolean> {
    const order: Scheme[] = TLS_FIRST.has(this.port) ? ['https', 'http'] : ['http', 'https'];
    for (const [i, scheme] of order.entries()) {
      try {
        const res = await this.send(scheme, path);
        if (scheme === 'http' && res.status === 400 && HTTP_TO_TLS.test(res.text()) && i === 0) continue;
        this.scheme = scheme;
        this.silence = undefined;
        this.silenceDetail = '';
        if (res.cert) this.cert = res.cert;
        this.answers.set(path, Promise.resolve(answerOf(path, res, this.unreadable)));
        return true;
      } catch (err) {
        if (!(err instanceof NetError)) throw err;
        const seen = this.net.certificate(this.host, this.port);
        if (seen) this.cert = seen;
        if (err.kind === 'timeout' || err.kind === 'out-of-scope' || err.kind === 'aborted') {
          this.silence = err.kind === 'timeout' ? 'timeout' : 'refused';
          this.silenceDetail = err.message;
          return false;
        }
        if (err.kind === 'refused' || err.kind === 'unreachable') {
          this.silence = 'refused';
          this.silenceDetail = err.message;
          return false;
        }
        if (scheme === 'https' && err.kind === 'tls' && WANTS_CLIENT_CERT.test(err.message)) {
          this.scheme = 'https';
          this.silence = 'tls-client-cert';
          this.silenceDetail = err.message;
          return false;
        }
        if (scheme === 'https' && err.kind === 'tls' && !NOT_TLS.test(err.message) && seen) {
          // The handshake showed a certificate, then failed for another reason: TLS, not HTTP.
          this.scheme = 'https';
          this.silence = 'tls-failed';
          this.silenceDetail = err.message;
          return false;
        }
        this.silence = 'not-http';
        this.silenceDetail = err.message;
      }
    }
    return false;
  }

  /**
   * GET `path` on the scheme found by open(); undefined when the request failed (or went unanswered twice:
   * then the port is asked nothing more, see `unanswered`). Asked once per path. `read`
   * replaces the body cap, and may share the answer with the hunters (HttpRequest.shared).
   */
  get(path: string, headers?: Record<string, string>, read?: BodyRead): Promise<Answer | undefined> {
    const scheme = this.scheme;
    if (!scheme || this.silence || this.stalled) return Promise.resolve(undefined);
    const key = headers ? `${path}\0${JSON.stringify(headers)}` : path;
    let pending = this.answers.get(key);
    if (!pending) {
      pending = this.send(scheme, path, headers, read).then(
        (res) => {
          if (res.cert && !this.cert) this.cert = res.cert;
          return answerOf(path, res, this.unreadable);
        },
        (err) => {
          if (!(err instanceof NetError)) throw err;
          if (err.kind === 'timeout') this.stalled = true;
          return undefined;
        },
      );
      this.answers.set(key, pending);
    }
    return pending;
  }

  /**
   * GET `path` streamed into `sink` (NetClient.stream), its digest shared with the hunters that read it
   * with the same reader (`shared`); undefined when no answer came.
   */
  async stream<T>(
    path: string,
    sink: (head: ResponseHead) => BodySink<T>,
    shared: string,
  ): Promise<StreamedResponse<T> | undefined> {
    const scheme = this.scheme;
    if (!scheme || this.silence || this.stalled) return undefined;
    try {
      const read = await this.net.stream({ url: this.url(scheme, path), shared }, sink);
      if (read.cert && !this.cert) this.cert = read.cert;
      return read;
    } catch (err) {
      if (!(err instanceof NetError)) throw err;
      if (err.kind === 'timeout') {
        // Silence, not an answer: said as such, like a GET that went unanswered.
        this.stalled = true;
        this.unanswered.push(path);
      }
      return undefined;
    }
  }
}
