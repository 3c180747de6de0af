/**
 * What readers derived from streamed answers (NetClient.stream with `shared`): a kubelet's /pods runs to
 * hundreds of megabytes on a busy node and several hunters need it, so the first asks and streams it, the
 * others wait for the same digest. Digests are small by design; at most `limit` are kept, oldest dropped
 * first, and a failed read is forgotten at once so the next asker tries again.
 */
export class SharedStreams {
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(private readonly limit = 512) {}

  /** The digest kept or in flight for `key`, else the one `read` gets; kept only when `keep` says so. */
  get<T>(key: string, read: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const kept = this.entries.get(key) as Promise<T> | undefined;
    if (kept) return kept;
    const answer = read();
    this.entries.set(key, answer);
    const forget = () => {
      if (this.entries.get(key) === answer) this.entries.delete(key);
    };
    answer.then((value) => {
      if (!keep(value)) forget();
    }, forget);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
    return answer;
  }
}
