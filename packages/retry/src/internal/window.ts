/**
 * Success and failure counts over the last `windowMs`, in `buckets` fixed slots reused in a ring: recording costs
 * no allocation, and old slots are cleared lazily when time reaches them again.
 */
export class SlidingWindow {
  readonly windowMs: number;
  readonly buckets: number;
  readonly #width: number;
  readonly #stamp: Float64Array;
  readonly #successes: Float64Array;
  readonly #failures: Float64Array;

  constructor(windowMs: number, buckets: number) {
    this.windowMs = windowMs;
    this.buckets = buckets;
    this.#width = windowMs / buckets;
    this.#stamp = new Float64Array(buckets).fill(-1);
    this.#successes = new Float64Array(buckets);
    this.#failures = new Float64Array(buckets);
  }

  record(now: number, failed: boolean): void {
    const index = Math.floor(now / this.#width);
    const slot = index % this.buckets;
    if (this.#stamp[slot] !== index) {
      this.#stamp[slot] = index;
      this.#successes[slot] = 0;
      this.#failures[slot] = 0;
    }
    if (failed) (this.#failures[slot] as number)++;
    else (this.#successes[slot] as number)++;
  }

  /** Totals over the slots still inside the window at `now`. */
  totals(now: number): { calls: number; failures: number } {
    const index = Math.floor(now / this.#width);
    let calls = 0;
    let failures = 0;
    for (let slot = 0; slot < this.buckets; slot++) {
      const stamp = this.#stamp[slot] as number;
      if (stamp > index - this.buckets && stamp <= index) {
        const f = this.#failures[slot] as number;
        failures += f;
        calls += f + (this.#successes[slot] as number);
      }
    }
    return { calls, failures };
  }

  reset(): void {
    this.#stamp.fill(-1);
    this.#successes.fill(0);
    this.#failures.fill(0);
  }

  toJSON(): [stamp: number, successes: number, failures: number][] {
    const out: [number, number, number][] = [];
    for (let slot = 0; slot < this.buckets; slot++) {
      const stamp = this.#stamp[slot] as number;
      if (stamp >= 0) out.push([stamp, this.#successes[slot] as number, this.#failures[slot] as number]);
    }
    return out;
  }

  restore(slots: readonly (readonly [number, number, number])[]): void {
    this.reset();
    for (const [stamp, successes, failures] of slots) {
      const slot = stamp % this.buckets;
      this.#stamp[slot] = stamp;
      this.#successes[slot] = successes;
      this.#failures[slot] = failures;
    }
  }
}
