/**
 * The lab's time for its controllers (CronJob schedules): the wall clock plus whatever tests moved it on,
 * so a test sees a schedule fire without waiting for it.
 */
export class LabClock {
  private offsetMs = 0;
  private readonly listeners: (() => void)[] = [];

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves the clock on and lets the controllers catch up before returning. */
  advance(seconds: number): Date {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('the lab clock only moves forward');
    this.offsetMs += seconds * 1000;
    for (const l of this.listeners) l();
    return this.now();
  }

  onTick(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Runs the listeners as wall time passes too; returns the function that stops it. */
  start(everyMs: number): () => void {
    const timer = setInterval(() => {
      for (const l of this.listeners) l();
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
