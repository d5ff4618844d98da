/**
 * Block ids and the durable offset of an upload, derived from Azure's block list alone.
 *
 * Every block's id names the byte range it holds: base64 of `psi1` + 16-digit start + 16-digit
 * end (36 bytes → 48 characters, the same length for every block, as Azure requires). So after
 * a crash the block list says which bytes exist: the committed blocks (consecutive from 0),
 * then the chain of uncommitted blocks starting where they end. Uncommitted blocks off that
 * chain (a crashed append's merged tail, leftovers of a dead writer) never count and are
 * dropped by the next commit, which lists only the chain.
 * @module
 */
import { PsiError } from '@psitransfer/core'

export interface Block {
  /** The base64 block id. */
  id: string
  start: number
  /** Exclusive. */
  end: number
}

const DIGITS = 16

export function blockId(start: number, end: number): string {
  const raw = `psi1${String(start).padStart(DIGITS, '0')}${String(end).padStart(DIGITS, '0')}`
  return Buffer.from(raw, 'latin1').toString('base64')
}

/** The range a block id names, or `null` for an id this store did not write. */
export function parseBlockId(id: string, size: number): Block | null {
  const raw = Buffer.from(id, 'base64').toString('latin1')
  const m = /^psi1(\d{16})(\d{16})$/.exec(raw)
  if (!m) return null
  const start = Number(m[1])
  const end = Number(m[2])
  if (!Number.isSafeInteger(end) || end - start !== size || size <= 0) return null
  return { id, start, end }
}

export interface ListedBlock {
  name?: string
  size?: number
}

export interface DurableBlocks {
  /** Committed blocks in order (bytes 0 … committedLength). */
  committed: Block[]
  committedLength: number
  /** Uncommitted blocks continuing the committed ones without a gap. */
  chain: Block[]
  /** The durable offset: the end of the chain. */
  offset: number
}

/** Reads the block list of a data blob (committed and uncommitted blocks). */
export function durableBlocks(
  committedList: readonly ListedBlock[],
  uncommittedList: readonly ListedBlock[],
): DurableBlocks {
  const committed: Block[] = []
  let committedLength = 0
  for (const b of committedList) {
    const block = parseBlockId(b.name ?? '', b.size ?? -1)
    if (!block || block.start !== committedLength) {
      throw new PsiError('INTERNAL', 'The stored blocks of this upload are inconsistent')
    }
    committed.push(block)
    committedLength = block.end
  }
  // One candidate per start: the longest (deterministic, so every instance derives the same).
  const byStart = new Map<number, Block>()
  for (const b of uncommittedList) {
    const block = parseBlockId(b.name ?? '', b.size ?? -1)
    if (!block) continue
    const seen = byStart.get(block.start)
    if (!seen || seen.end < block.end) byStart.set(block.start, block)
  }
  const chain: Block[] = []
  let offset = committedLength
  for (let next = byStart.get(offset); next; next = byStart.get(offset)) {
    chain.push(next)
    offset = next.end
  }
  return { committed, committedLength, chain, offset }
}

/** The durable offset from the committed length and the uncommitted list alone (no committed ids needed). */
export function durableOffset(committedLength: number, uncommittedList: readonly ListedBlock[]): number {
  const byStart = new Map<number, number>()
  for (const b of uncommittedList) {
    const block = parseBlockId(b.name ?? '', b.size ?? -1)
    if (block) byStart.set(block.start, Math.max(block.end, byStart.get(block.start) ?? 0))
  }
  let offset = committedLength
  for (let end = byStart.get(offset); end !== undefined; end = byStart.get(offset)) offset = end
  return offset
}
