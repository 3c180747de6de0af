// Deadlines that judge the other side, not this process.
//
// Node runs the timers that came due before it reads the sockets that became readable. When the process
// itself was busy past a deadline (an escalation graph of 100,000 pods computed in one go, a full
// collection of a large heap), a plain timer fires on an answer that arrived in time and waits in the
// socket, and the request is reported as timed out: the server is blamed for the hunt's own pause. In
// bench/scale.ts one page of the token Secrets' Table was lost so, every time behind the same other
// identity's graph computation (bench/README.md). So a deadline that comes due late, because the loop was
// busy, is moved on by as long as it was late: the time the hunt could not read is not counted against
// the other side, up to as long again as the deadline itself (a hunt busy without end must not keep a
// silent server's request alive without end). One that comes due on time, or has been moved on that far,
// first lets the loop read what has arrived (one turn through the poll phase, setImmediate running after
// it) before it expires.

/** Lateness of a timer past which the loop is taken to have been busy, ms (a loaded machine is late by some). */
const BUSY_MS = 20;

/** A deadline of `ms`, counted from its start or (for a silence) from the last `touch`. */
export class Deadline {
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private due: number;
  /** How far it was moved on for the loop's lateness, ms (at most `ms`). */
  private moved = 0;
  private done = false;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {
    this.due = performance.now() + ms;
    this.arm(ms);
  }

  /** Something arrived: the silence is counted again from now. */
  touch(): void {
    this.due = performance.now() + this.ms;
  }

  /** Stops it; it never expires after this. */
  clear(): void {
    this.done = true;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
  }

  private arm(delay: number): void {
    // Unreferenced, as AbortSignal.timeout's is: a deadline alone keeps no process alive.
    this.timer = setTimeout(() => this.fired(), Math.max(1, delay)).unref();
  }

  private fired(): void {
    if (this.done) return;
    const now = performance.now();
    const late = now - this.due;
    if (late < 0) {
      this.arm(-late);
      return;
    }
    if (late > BUSY_MS && this.moved < this.ms) {
      // The loop was busy until now: what came meanwhile is read first, in as long again.
      const by = Math.min(late, this.ms - this.moved);
      this.moved += by;
      this.due = now + by;
      this.arm(by);
      return;
    }
    // Referenced: an unreferenced immediate lets the poll phase block, and runs only on its next wake-up.
    this.immediate = setImmediate(() => {
      if (this.done) return;
      if (performance.now() < this.due) {
        this.arm(this.due - performance.now());
        return;
      }
      this.done = true;
      this.onExpire();
    });
  }
}

/** An AbortSignal aborted once the deadline expires, with the TimeoutError AbortSignal.timeout gives. */
export function deadlineSignal(ms: number): { signal: AbortSignal; deadline: Deadline } {
  const controller = new AbortController();
  const deadline = new Deadline(ms, () =>
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
  );
  return { signal: controller.signal, deadline };
}
