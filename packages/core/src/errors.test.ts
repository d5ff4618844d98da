import { describe, expect, it } from 'vitest'
import {
  ERROR_STATUS,
  httpStatusFor,
  isPsiError,
  NotFoundError,
  OffsetMismatchError,
  PsiError,
  StorageFullError,
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
