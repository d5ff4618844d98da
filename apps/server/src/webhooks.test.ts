import { describe, expect, it } from 'vitest'
import { createMemoryLogger } from './logger.js'
import { WebhookSender } from './webhooks.js'

describe('WebhookSender', () => {
  it('retries with backoff until the receiver accepts', async () => {
    const calls: number[] = []
    const logger = createMemoryLogger()
    const sender = new WebhookSender({
      logger,
      backoffMs: 5,
      fetch: (async () => {
        calls.push(Date.now())
        if (calls.length < 3) throw new Error('ECONNREFUSED')
        return new Response(null, { status: 200 })
      }) as unknown as typeof fetch,
    })
    sender.send('http://x.test/hook', 'fileUploaded', { a: 1 })
    expect(sender.pending).toBe(1)
    await sender.drain(2000)
    expect(calls).toHaveLength(3)
    expect(sender.pending).toBe(0)
    expect(logger.entries.filter((e) => e.msg === 'webhook delivery failed')).toHaveLength(2)
  })

  it('gives up after the attempts, reports the failure, and never blocks the caller', async () => {
    let failures = 0
    let attempts = 0
    const sender = new WebhookSender({
      logger: createMemoryLogger(),
      attempts: 3,
      backoffMs: 1,
      onFailure: () => failures++,
      fetch: (async () => {
        attempts++
        return new Response('nope', { status: 500 })
      }) as unknown as typeof fetch,
    })
    const started = Date.now()
    sender.send('http://x.test/hook', 'e', {})
    expect(Date.now() - started).toBeLessThan(50)
    await sender.drain(2000)
    expect(attempts).toBe(3)
    expect(failures).toBe(1)
  })

  it('sends nothing without a URL', async () => {
    const sender = new WebhookSender({
      logger: createMemoryLogger(),
      fetch: (() => {
        throw new Error('must not be called')
      }) as unknown as typeof fetch,
    })
    sender.send(null, 'e', {})
    expect(sender.pending).toBe(0)
  })
})
