/** Settings of the pacing of new streams. */
export interface AdmissionOptions {
  /** Streams admitted per second once the burst is spent. 0 admits every stream at once. */
  ratePerSecond: number;
  /** Streams admitted at once before pacing starts. At least 1. */
  burst: number;
}

/** Default pacing: a reconnecting fleet of a few thousand proxies is admitted in seconds. */
export const DEFAULT_ADMISSION: AdmissionOptions = { ratePerSecond: 1000, burst: 500 };

/**
 * A token bucket on the first response of new streams. A stream is accepted at once, but its
 * first response waits for a token, so that a reconnect storm spreads the work of the initial
 * pushes over time and the server stays responsive to streams already admitted.
 */
export class StreamAdmission {
  private tokens: number;
  private refilledAt = Date.now();
  private readonly waiting: (() => void)[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: AdmissionOptions = DEFAULT_ADMISSION) {
    if (!Number.isFinite(options.ratePerSecond) || options.ratePerSecond < 0) {
      throw new Error(`invalid admission rate ${options.ratePerSecond}: expected 0 (no pacing) or a positive number of streams per second`);
    }
    if (!Number.isInteger(options.burst) || options.burst < 1) {
      throw new Error(`invalid admission burst ${options.burst}: expected a whole number of streams, at least 1`);
    }
    this.tokens = options.burst;
  }

  /** Streams waiting for admission. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Calls `admitted` when the stream may be served: at once while tokens remain, otherwise in
   * arrival order as tokens refill. Returns a function that withdraws a stream still waiting.
   */
  admit(admitted: () => void): () => void {
    if (this.options.ratePerSecond === 0) {
      admitted();
      return () => {};
    }
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      admitted();
      return () => {};
    }
    this.waiting.push(admitted);
    this.schedule();
    return () => {
      const index = this.waiting.indexOf(admitted);
      if (index >= 0) this.waiting.splice(index, 1);
    };
  }

  /** Stops the refill timer; waiting streams are dropped. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
  }

  private refill(): void {
    const now = Date.now();
    const earned = ((now - this.refilledAt) / 1000) * this.options.ratePerSecond;
    this.tokens = Math.min(this.options.burst, this.tokens + earned);
    this.refilledAt = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) / this.options.ratePerSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiting.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiting.shift()!();
      }
      if (this.waiting.length > 0) this.schedule();
    }, waitMs);
    this.timer.unref();
  }
}
