import { createHash } from 'node:crypto';
import type { CredentialSecret } from '../core/events.js';

/**
 * Answers to large read-only GETs that several hunters need from the same service (a kubelet's /pods runs
 * to megabytes and is read by the passive and the active kubelet hunters alike): the first asks, the others
 * wait for that answer instead of sending the request again. Kept per run, most recent first, up to a byte
 * budget; an answer over the budget is never kept, and a failed one is forgotten at once.
 */
export class SharedReads<T extends { body: Buffer }> {
  private readonly entries = new Map<string, { answer: Promise<T>; bytes: number }>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  /**
   * One key per URL, headers, identity and size cap: an answer is shared only among requests that would get
   * the same.
   */
  static key(
    url: string,
    headers: Record<string, string> | undefined,
    credential: CredentialSecret | undefined,
    maxBytes: number,
  ): string {
    const who = credential ? createHash('sha256').update(JSON.stringify(credential)).digest('hex') : '';
    const asked = Object.entries(headers ?? {})
      .map(([k, v]) => [k.toLowerCase(), v])
      .sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify([url, asked, who, maxBytes]);
  }

  /**
   * The answer kept or in flight for `key`, else the one `send` gets (then kept). A waiter whose shared
   * answer failed (the first asker's deadline, say) sends its own request instead.
   */
  async get(key: string, send: () => Promise<T>): Promise<T> {
    const kept = this.entries.get(key);
    if (kept) {
      // Most recently used last, so eviction takes the oldest first.
      this.entries.delete(key);
      this.entries.set(key, kept);
      try {
        return await kept.answer;
      } catch {
        return send();
      }
    }
    const answer = send();
    const entry = { answer, bytes: 0 };
    this.entries.set(key, entry);
    try {
      const res = await answer;
      if (this.entries.get(key) === entry) {
        entry.bytes = res.body.length;
        this.bytes += entry.bytes;
        this.evict();
      }
      return res;
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  /** Bytes held by the answers kept. */
  get size(): number {
    return this.bytes;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.budget) return;
      // In-flight answers hold nothing yet and stay.
      if (entry.bytes === 0) continue;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}
