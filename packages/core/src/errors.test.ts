import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  ERROR_STATUS,
  httpStatusFor,
  isPsiError,
  NotFoundError,
  OffsetMismatchError,
  PsiError,
  StorageFullError,
  SUBCLASSED_CODES,
  toPsiError,
  UploadLockedError,
} from './errors.js'

describe('errors', () => {
  it('maps every code to an HTTP status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(httpStatusFor(code as keyof typeof ERROR_STATUS)).toBe(status)
      expect(status).toBeGreaterThanOrEqual(400)
    }
    expect(httpStatusFor('CHECKSUM_MISMATCH')).toBe(460)
    expect(httpStatusFor('STORAGE_FULL')).toBe(507)
  })

  it('subclasses carry stable codes and statuses', () => {
    expect(new NotFoundError().status).toBe(404)
    expect(new UploadLockedError().status).toBe(423)
    expect(new StorageFullError().status).toBe(507)
    const off = new OffsetMismatchError(10, 3)
    expect(off.code).toBe('OFFSET_MISMATCH')
    expect(off.details).toEqual({ offset: 10 })
  })

  it('keeps the cause but not in the message', () => {
    const cause = new Error('ENOENT /var/data/x')
    const e = new NotFoundError('File not found', { cause })
    expect(e.cause).toBe(cause)
    expect(e.message).toBe('File not found')
  })

  it('recognises errors across module copies by shape, and wraps unknown errors as INTERNAL', () => {
    const foreign = Object.assign(new Error('x'), { name: 'PsiError', code: 'NOT_FOUND' })
    expect(isPsiError(foreign)).toBe(true)
    expect(isPsiError(Object.assign(new Error('x'), { name: 'PsiError', code: 'NOPE' }))).toBe(false)
    const wrapped = toPsiError(new TypeError('boom'))
    expect(wrapped).toBeInstanceOf(PsiError)
    expect(wrapped.code).toBe('INTERNAL')
    expect(wrapped.message).not.toContain('boom')
  })
})

describe('one way to throw', () => {
  const PACKAGES = new URL('../../', import.meta.url).pathname
  function* sources(dir: string): Generator<string> {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (name === 'node_modules' || name === 'dist') continue
      if (statSync(p).isDirectory()) yield* sources(p)
      else if (p.endsWith('.ts') && !/\.test(-support)?\.ts$/.test(p) && !p.includes('/test-support/'))
        yield p
    }
  }

  it('each subclass has its code', () => {
    for (const [code, Sub] of Object.entries(SUBCLASSED_CODES)) {
      expect(new (Sub as unknown as new () => PsiError)().code).toBe(code)
    }
  })

  it('no package throws a subclassed code as a bare PsiError', () => {
    const codes = Object.keys(SUBCLASSED_CODES).join('|')
    const bare = new RegExp(`new PsiError\\(\\s*['"](${codes})['"]`, 'g')
    const offenders: string[] = []
    const files = readdirSync(PACKAGES).flatMap((pkg) => [...sources(join(PACKAGES, pkg, 'src'))])
    expect(files.length).toBeGreaterThan(50)
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(bare))
        offenders.push(`${relative(PACKAGES, file)}: ${m[1]}`)
    }
    expect(offenders).toEqual([])
  })
})
