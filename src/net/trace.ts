import { createWriteStream, type WriteStream } from 'node:fs';
import { HuntFailedError, oneLine } from '../core/errors.js';
import { Redactor } from '../core/redact.js';

/** One line of the audit trail: a request sent, or one the scope guard refused. */
export interface TraceRecord {
  time: string;
  hunter: string;
  method: string;
  url: string;
  status?: number;
  bytes?: number;
  durationMs: number;
  refused?: boolean;
  error?: string;
  /** The attempt this was, from 2 on: the request was sent again after a transient failure. */
  attempt?: number;
}

export interface TraceCounts {
  requests: number;
  /** Of the requests, those sent again after a transient failure. */
  retries: number;
  refused: number;
  byHost: Record<string, number>;
  byHunter: Record<string, number>;
}

/**
 * Counts every request and, with a file, writes each as a JSON line. The counts go into the report
 * so a tester can show what was sent without opening the trace.
 */
export class Trace {
  private stream?: WriteStream;
  private failure?: string;
  readonly counts: TraceCounts = { requests: 0, retries: 0, refused: 0, byHost: {}, byHunter: {} };
  readonly refusals: TraceRecord[] = [];

  /**
   * `redactor` learns the run's secrets as Credential events appear (the hunt wires `observe`), so a
   * URL or error that quotes one is written redacted, on top of the patterns that catch secret shapes.
   */
  constructor(
    readonly path?: string,
    readonly redactor = new Redactor(),
  ) {}

  async open(): Promise<void> {
    if (!this.path) return;
    const stream = createWriteStream(this.path, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) =>
        reject(new HuntFailedError(`cannot write trace file ${this.path}: ${oneLine(err)}`)),
      );
    });
    stream.on('error', (err) => {
      this.failure = oneLine(err);
    });
    this.stream = stream;
  }

  record(raw: TraceRecord, host: string): void {
    // A URL may carry a secret (a token in the query string, a password in its user part): never write one.
    const rec =
      raw.method === 'CONNECT'
        ? raw
        : { ...raw, url: this.redactor.text(raw.url), ...(raw.error && { error: this.redactor.text(raw.error) }) };
    if (rec.refused) {
      this.counts.refused++;
      if (this.refusals.length < 10_000) this.refusals.push(rec);
    } else if (rec.method !== 'CONNECT') {
      // Port-scan connects are counted by the network layer; only the trace file keeps each one.
      this.counts.requests++;
      if (rec.attempt) this.counts.retries++;
      this.counts.byHost[host] = (this.counts.byHost[host] ?? 0) + 1;
      this.counts.byHunter[rec.hunter] = (this.counts.byHunter[rec.hunter] ?? 0) + 1;
    }
    this.stream?.write(`${JSON.stringify(rec)}\n`);
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    await new Promise<void>((resolve) => stream.end(resolve));
    if (this.failure) throw new HuntFailedError(`trace file ${this.path}: ${this.failure}`);
  }
}
