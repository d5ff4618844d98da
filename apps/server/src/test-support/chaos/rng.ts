/**
 * Seeded randomness for the chaos harness: every random choice (sizes, chunkings, kill points,
 * S3 faults) comes from a stream derived from the run's seed and a label, so one upload's plan
 * does not depend on how the others interleaved.
 * @module
 */
import { createCipheriv, createHash } from 'node:crypto'

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Integer in [min, max]. */
  int(min: number, max: number): number
  /** True with probability p. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

function seed32(seed: string, label: string): number {
  return createHash('sha256').update(`${seed}/${label}`).digest().readUInt32LE(0)
}

/** mulberry32 seeded from (seed, label). */
export function rng(seed: string, label: string): Rng {
  let a = seed32(seed, label)
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  }
}

/** `length` pseudo-random bytes (AES-CTR keystream) determined by (seed, label). */
export function randomBytesFor(seed: string, label: string, length: number): Buffer {
  const key = createHash('sha256').update(`bytes/${seed}/${label}`).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()])
}

/** A fresh seed when none is given. */
export function newSeed(): string {
  return Math.floor(Math.random() * 2 ** 32)
    .toString(36)
    .padStart(7, '0')
}
