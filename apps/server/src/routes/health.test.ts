import { PsiError, type Store } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp, upload } from '../test-support/harness.js'

describe('health and metrics', () => {
  it('reports health and turns 503 when the store fails', async () => {
    const t = makeApp()
    const ok = await t.request('/healthz')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ status: 'ok', store: 'memory' })
    const broken = new Proxy(new MemoryStore(), {
      get(target, prop) {
        if (prop === 'info')
          return async () => {
            throw new PsiError('STORE_UNAVAILABLE', 'down')
          }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    }) as Store
    const b = makeApp({}, { store: broken })
    expect((await b.request('/healthz')).status).toBe(503)
    const draining = makeApp({}, { isShuttingDown: () => true })
    expect((await draining.request('/healthz')).status).toBe(503)
  })

  it('exposes Prometheus metrics', async () => {
    const t = makeApp({ metrics: true })
    await upload(t, bytesOf('12345'))
    await t.request('/nothing.json')
    const text = await (await t.request('/metrics')).text()
    expect(text).toContain('# TYPE psitransfer_http_requests_total counter')
    expect(text).toMatch(/psitransfer_http_requests_total\{method="PATCH",status="204"\} 1/)
    expect(text).toMatch(/psitransfer_upload_bytes_total 5/)
    expect(text).toMatch(/psitransfer_uploads_completed_total 1/)
    expect(text).toMatch(/psitransfer_errors_total\{code="NOT_FOUND"\} 1/)
    expect(text).toMatch(/psitransfer_http_request_duration_seconds_bucket\{method="GET",le="\+Inf"\} \d+/)
    expect(text).toContain('psitransfer_active_uploads 0')
    // Disabled: /metrics is just another path (a download page), without counters.
    expect(await (await makeApp({ metrics: false }).request('/metrics')).text()).not.toContain('psitransfer_')
  })

  it('keeps /metrics off by default, and behind a bearer token when metricsToken is set', async () => {
    const off = await makeApp().request('/metrics')
    expect(await off.text()).not.toContain('psitransfer_')
    const token = 'prometheus-scrape-token-1'
    const t = makeApp({ metricsToken: token })
    for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Basic ${token}`, token]) {
      const res = await t.request('/metrics', authorization ? { headers: { authorization } } : {})
      expect(res.status, authorization).toBe(401)
      expect(res.headers.get('www-authenticate'), authorization).toMatch(/^Bearer/)
      const text = await res.text()
      expect(text).not.toContain('psitransfer_')
      expect(JSON.parse(text)).toMatchObject({ code: 'UNAUTHORIZED' })
    }
    const ok = await t.request('/metrics', { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('# TYPE psitransfer_http_requests_total counter')
    // The scheme is case-insensitive (RFC 9110).
    expect((await t.request('/metrics', { headers: { authorization: `bearer ${token}` } })).status).toBe(200)
  })
})
