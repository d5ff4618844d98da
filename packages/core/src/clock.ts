/** Time source, injected so expiry logic is testable with a fake clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t
  }
  set(ms: number): void {
    this.t = ms
  }
  advance(ms: number): void {
    this.t += ms
  }
}
