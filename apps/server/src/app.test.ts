import type { Store } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { makeApp } from './test-support/harness.js'

/** What every request gets from the app (`app.ts`, `http/request-scope.ts`). */
describe('errors, headers and access log', () => {
  it('hides internal errors behind a generic message and logs them', async () => {
    const failing = new Proxy(new MemoryStore(), {
      get(target, prop) {
        if (prop === 'list') {
          // biome-ignore lint/correctness/useYield: the point is to fail before yielding
          return async function* () {
            throw new Error('EACCES: permission denied, open /srv/secret/path')
          }
        }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    }) as Store
    const t = makeApp({}, { store: failing })
    const res = await t.request('/bucket1.json')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ code: 'INTERNAL', message: 'Internal error' })
    expect(text).not.toMatch(/srv|EACCES|at /)
    expect(t.logger.entries.some((e) => e.level === 'error' && JSON.stringify(e).includes('EACCES'))).toBe(
      true,
    )
  })

  it('sets security headers and a request id on every response', async () => {
    const t = makeApp()
    const res = await t.request('/nothing.json', { headers: { 'x-request-id': 'abc-123' } })
    expect(res.headers.get('x-request-id')).toBe('abc-123')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const other = await t.request('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } })
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect((await t.request('/no/such/thing')).status).toBe(404)
  })

  it('writes structured access logs without query strings', async () => {
    const t = makeApp({ accessLog: true })
    await t.request('/healthz?token=secret')
    const entry = t.logger.entries.find((e) => e.msg === 'request')
    expect(entry).toMatchObject({ method: 'GET', path: '/healthz', status: 200, level: 'info' })
    expect(typeof entry?.reqId).toBe('string')
    expect(JSON.stringify(t.logger.entries)).not.toContain('secret')
    const quiet = makeApp({ accessLog: false })
    await quiet.request('/healthz')
    expect(quiet.logger.entries.some((e) => e.msg === 'request')).toBe(false)
  })
})
