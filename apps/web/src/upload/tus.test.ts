import { describe, expect, it } from 'vitest'
import { failureOf } from './tus.js'

const detailed = (status: number, body: string) =>
  Object.assign(new Error('tus: unexpected response'), {
    originalResponse: {
      getStatus: () => status,
      getBody: () => body,
      getHeader: () => undefined,
      getUnderlyingObject: () => null,
    },
    originalRequest: null,
    causingError: null,
  })

describe('failureOf', () => {
  it('reads the message of a JSON error', () => {
    expect(failureOf(detailed(413, '{"code":"TOO_LARGE","message":"File is larger than 1 MB"}'))).toEqual({
      status: 413,
      message: 'File is larger than 1 MB',
    })
  })

  it('reads the first line of a plain-text error', () => {
    expect(failureOf(detailed(400, 'Bucket locked\nmore'))).toEqual({ status: 400, message: 'Bucket locked' })
  })

  it('falls back to the status, or the error for network failures', () => {
    expect(failureOf(detailed(502, ''))).toEqual({ status: 502, message: 'HTTP 502' })
    expect(failureOf(new Error('Failed to fetch'))).toEqual({ status: 0, message: 'Failed to fetch' })
  })
})
