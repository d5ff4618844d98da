/**
 * Object key layout. Every key is built here from ids that passed core's id grammar, so no
 * caller can reach outside `{prefix}{sid}/{key}`:
 *
 * - `{prefix}{sid}/{key}`                       the file's bytes (complete object / multipart target)
 * - `{prefix}{sid}/{key}.json`                  metadata
 * - `{prefix}{sid}/{key}.part.{inc}.{offset}`   tail segments: acknowledged bytes not yet in a part
 * - `{prefix}{sid}/{key}.lock.{gen}`            cross-instance write lock, one object per generation
 * - `{prefix}{sid}/{key}.claim.{inc}`           one-shot claim (one-time downloads)
 *
 * `inc` is the upload's incarnation token (random, kept in the metadata): objects left over
 * from a deleted upload with the same ids can never be mistaken for the new upload's bytes.
 * Ids cannot contain `.`, so `{sid}/{key}.` never matches another file's objects.
 * @module
 */
import { type FileRef, isValidId, PsiError } from '@psitransfer/core'

export type ObjectKind = 'data' | 'meta' | 'segment' | 'lock' | 'claim'

export interface ParsedKey {
  ref: FileRef
  /** `{sid}/{key}` without the store prefix. */
  id: string
  kind: ObjectKind
  /** Incarnation token of segments and claims. */
  inc?: string
  /** Byte offset of a segment, generation of a lock. */
  n?: number
}

const OFFSET_DIGITS = 15
const GEN_DIGITS = 12
const INC_PATTERN = /^[A-Za-z0-9_-]{1,32}$/

/** Throws INVALID_ID unless both ids match core's grammar (refs can be forged with casts). */
export function checkRef(ref: FileRef): FileRef {
  if (!ref || !isValidId(ref.sid)) throw new PsiError('INVALID_ID', 'Invalid bucket id')
  if (!isValidId(ref.key)) throw new PsiError('INVALID_ID', 'Invalid file id')
  return ref
}

export function refId(ref: FileRef): string {
  return `${ref.sid}/${ref.key}`
}

function pad(n: number, digits: number): string {
  return String(n).padStart(digits, '0')
}

export class KeyLayout {
  constructor(readonly prefix: string) {}

  base(ref: FileRef): string {
    checkRef(ref)
    return `${this.prefix}${ref.sid}/${ref.key}`
  }
  data(ref: FileRef): string {
    return this.base(ref)
  }
  meta(ref: FileRef): string {
    return `${this.base(ref)}.json`
  }
  segment(ref: FileRef, inc: string, offset: number): string {
    return `${this.base(ref)}.part.${inc}.${pad(offset, OFFSET_DIGITS)}`
  }
  segmentPrefix(ref: FileRef, inc: string): string {
    return `${this.base(ref)}.part.${inc}.`
  }
  lockPrefix(ref: FileRef): string {
    return `${this.base(ref)}.lock.`
  }
  lock(ref: FileRef, gen: number): string {
    return `${this.lockPrefix(ref)}${pad(gen, GEN_DIGITS)}`
  }
  claim(ref: FileRef, inc: string): string {
    return `${this.base(ref)}.claim.${inc}`
  }
  /** Prefix for listing one bucket (or everything when `sid` is undefined). */
  listPrefix(sid?: string): string {
    return sid === undefined ? this.prefix : `${this.prefix}${sid}/`
  }

  /** Parses an object key of this layout; `null` for anything else (foreign or damaged keys). */
  parse(key: string): ParsedKey | null {
    if (!key.startsWith(this.prefix)) return null
    const rest = key.slice(this.prefix.length)
    const slash = rest.indexOf('/')
    if (slash < 0) return null
    const sid = rest.slice(0, slash)
    const name = rest.slice(slash + 1)
    const dot = name.indexOf('.')
    const fileKey = dot < 0 ? name : name.slice(0, dot)
    if (!isValidId(sid) || !isValidId(fileKey)) return null
    const ref = { sid, key: fileKey } as FileRef
    const id = `${sid}/${fileKey}`
    if (dot < 0) return { ref, id, kind: 'data' }
    const suffix = name.slice(dot + 1).split('.')
    const [kind, a, b] = suffix
    if (suffix.length === 1 && kind === 'json') return { ref, id, kind: 'meta' }
    if (suffix.length === 3 && kind === 'part' && a && INC_PATTERN.test(a) && b && /^\d+$/.test(b)) {
      return { ref, id, kind: 'segment', inc: a, n: Number(b) }
    }
    if (suffix.length === 2 && kind === 'lock' && a && /^\d+$/.test(a))
      return { ref, id, kind: 'lock', n: Number(a) }
    if (suffix.length === 2 && kind === 'claim' && a && INC_PATTERN.test(a))
      return { ref, id, kind: 'claim', inc: a }
    return null
  }
}

/** A new incarnation token. */
export function newIncarnation(): string {
  const bytes = new Uint8Array(9)
  crypto.getRandomValues(bytes)
  return Buffer.from(bytes).toString('base64url')
}

export function isIncarnation(value: unknown): value is string {
  return typeof value === 'string' && INC_PATTERN.test(value)
}
