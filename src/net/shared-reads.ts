import { createHash } from 'node:crypto';
import type { CredentialSecret } from '../core/events.js';

/** An answer as the store keeps it: its body, and whether that body was cut at the reader's cap. */
export interface Readable {
  body: Buffer;
  truncated: boolean;
}

/**
 * Answers to plain GETs, kept for the run so a request whose answer is already in hand is not sent again
 * (a kubelet's /pods runs to megabytes and is read by discovery and several hunters; /version and /metrics
 * are read by the fingerprint, then by the hunters). The first asker sends; the others wait for that answer.
 * An answer read with a bigger cap serves a smaller one (cut to it); a cut answer serves only readers whose
 * cap is no bigger. Kept most recent first, up to a byte budget; an answer over the budget is never kept, a
 * failed one is forgotten at once, and when a request that may change state is sent, every answer is
 * forgotten (what was read before it may no longer be true) except those their reader pinned: reads the
 * hunters share on purpose and know to hold for the run (HttpRequest.shared: true, e.g. a kubelet's /pods).
 */
export class SharedReads<T extends Readable> {
  private readonly entries = new Map<string, { answer: Promise<T>; cap: number; bytes: number; pinned: boolean }>();
  private bytes = 0;

  /** `cut` makes a copy of an answer cut at a smaller cap (marked truncated). */
  constructor(
    private readonly budget: number,
    private readonly cut: (answer: T, cap: number) => T,
  ) {}

  /** One key per URL, headers and identity: an answer is shared only among requests that would get the same. */
  static key(
    url: string,
    headers: Record<string, string> | undefined,
    credential: CredentialSecret | undefined,
  ): string {
    const who = credential ? createHash('sha256').update(JSON.stringify(credential)).digest('hex') : '';
    const asked = Object.entries(headers ?? {})
      .map(([k, v]) => [k.toLowerCase(), v])
      .sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify([url, asked, who]);
  }

  /**
   * The answer kept or in flight for `key`, if it serves a reader capped at `cap`; else the one `send`
   * gets (then kept, when its cap is at least the kept one's). A waiter whose shared answer failed (the
   * first asker's deadline, say) sends its own request instead.
   */
  async get(key: string, cap: number, send: () => Promise<T>, pinned = false): Promise<T> {
    const kept = this.entries.get(key);
    if (kept) {
      kept.pinned ||= pinned;
      // Most recently used last, so eviction takes the oldest first.
      this.entries.delete(key);
      this.entries.set(key, kept);
      const answer = await kept.answer.catch(() => undefined);
      if (answer && (!answer.truncated || cap <= kept.cap)) {
        return answer.body.length > cap ? this.cut(answer, cap) : answer;
      }
    }
    return this.fetch(key, cap, send, pinned);
  }

  private async fetch(key: string, cap: number, send: () => Promise<T>, pinned: boolean): Promise<T> {
    const previous = this.entries.get(key);
    const answer = send();
    // A smaller read never replaces a bigger one in the store.
    if (previous && previous.cap > cap) return answer;
    if (previous) this.forget(key);
    const entry = { answer, cap, bytes: 0, pinned };
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

  /** Forgets every answer not pinned: a request that may change state was sent. */
  forgetUnpinned(): void {
    for (const [key, entry] of this.entries) if (!entry.pinned) this.forget(key);
  }

  /** Bytes held by the answers kept. */
  get size(): number {
    return this.bytes;
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.budget) return;
      // In-flight answers hold nothing yet and stay.
      if (entry.bytes === 0) continue;
      this.forget(key);
    }
  }
}
