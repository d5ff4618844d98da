/**
 * Transfer speed over a sliding window, so the number reacts to pauses and network changes but does not
 * jump with every progress event. Time is injected for tests.
 */
export class SpeedMeter {
  private samples: Array<{ t: number; bytes: number }> = []

  constructor(private readonly windowMs = 5000) {}

  /** Records the total bytes transferred so far at time `t` (ms). */
  add(t: number, bytes: number): void {
    const last = this.samples[this.samples.length - 1]
    // A restart (pause/resume, retry) may report fewer bytes: start measuring again from there.
    if (last && bytes < last.bytes) this.samples = []
    this.samples.push({ t, bytes })
    const cutoff = t - this.windowMs
    while (this.samples.length > 2 && this.samples[1]!.t <= cutoff) this.samples.shift()
  }

  /** Bytes per second, 0 until two samples at least 200 ms apart exist. */
  rate(): number {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    if (!first || !last || last.t - first.t < 200) return 0
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t)
  }

  /** Seconds until `total` bytes at the current rate, or `null` when unknown. */
  eta(total: number): number | null {
    const last = this.samples[this.samples.length - 1]
    const r = this.rate()
    if (!last || r <= 0) return null
    return Math.max(0, (total - last.bytes) / r)
  }

  reset(): void {
    this.samples = []
  }
}
