import { describe, expect, it } from 'vitest'
import { ApiError, errorFrom } from './http.js'

describe('errorFrom', () => {
  it('reads {code, message} JSON', async () => {
    const e = await errorFrom(
      new Response('{"code":"UNAUTHORIZED","message":"Password required"}', { status: 401 }),
    )
    expect(e).toBeInstanceOf(ApiError)
    expect([e.status, e.code, e.message]).toEqual([401, 'UNAUTHORIZED', 'Password required'])
  })

  it('reads plain text (TUS errors)', async () => {
    const e = await errorFrom(new Response('Invalid bucket id\nat line', { status: 400 }))
    expect([e.status, e.code, e.message]).toEqual([400, 'HTTP_400', 'Invalid bucket id'])
  })

  it('has a message for an empty body', async () => {
    const e = await errorFrom(new Response('', { status: 503, statusText: 'Service Unavailable' }))
    expect(e.message).toBe('Service Unavailable')
  })
})
