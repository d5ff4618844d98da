import { describe, expect, it } from 'vitest'
import { SpeedMeter } from './speed.js'

describe('SpeedMeter', () => {
  it('reports bytes per second over the window and the time left', () => {
    const m = new SpeedMeter(5000)
    m.add(0, 0)
    expect(m.rate()).toBe(0)
    m.add(1000, 1_000_000)
    m.add(2000, 2_000_000)
    expect(m.rate()).toBe(1_000_000)
    expect(m.eta(10_000_000)).toBe(8)
  })

  it('forgets samples older than the window', () => {
    const m = new SpeedMeter(1000)
    m.add(0, 0)
    m.add(10_000, 100) // a long stall
    m.add(11_000, 2100)
    m.add(11_500, 3100)
    expect(m.rate()).toBe(2000)
  })

  it('starts over when the byte count goes back (restart)', () => {
    const m = new SpeedMeter()
    m.add(0, 0)
    m.add(1000, 500)
    m.add(1100, 100)
    expect(m.rate()).toBe(0)
    expect(m.eta(1000)).toBeNull()
  })
})
