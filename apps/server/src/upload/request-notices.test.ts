import type { Clock } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logger.js'
import { Mailer, type MailTransport } from '../mail/mailer.js'
import { bytesOf, makeApp, type TestApp, upload } from '../test-support/harness.js'
import { decodeNotice, noticeDueAt } from './request-notices.js'

interface Made {
  sid: string
  requestToken: string
}

/** An app whose mailer allows `perHour` mails per bucket and hour, on the app's manual clock. */
function withMail(perHour: number) {
  const sent: Array<{ to: string; text: string }> = []
  const transport: MailTransport = {
    async sendMail(message) {
      sent.push(message)
    },
    close() {},
  }
  let clock: Clock | undefined
  const logger = createMemoryLogger()
  const mailer = new Mailer({
    url: 'smtp://127.0.0.1:1',
    from: 'files@example.com',
    logger,
    transport,
    perKeyPerHour: perHour,
    now: () => clock?.now() ?? 0,
  })
  const t = makeApp({ requestNoticeWindow: 600 }, { mailer })
  clock = t.clock
  return { t, sent }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function request(t: TestApp): Promise<Made> {
  const res = await t.request('/api/requests', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ notify: 'req@example.org', lang: 'en', password: 'pw' }),
  })
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as Made
}

const send = (t: TestApp, r: Made, name: string) =>
  upload(t, bytesOf(name), { sid: r.sid, name, headers: { 'X-Request-Token': r.requestToken } })

describe('requester notices (a digest)', () => {
  it('beyond the mail quota the files wait in the mark and go out in the next allowed mail', async () => {
    const { t, sent } = withMail(1)
    const r = await request(t)
    await send(t, r, 'one.txt')
    await until(() => sent.length === 1, 'the first notice')
    expect(sent[0]?.text).toContain('- one.txt (7 byte')

    // Due after the window, but the hour's quota is used: nothing is sent, nothing forgotten.
    t.clock.advance(600_000)
    await send(t, r, 'two.txt')
    t.clock.advance(600_000)
    await send(t, r, 'three.txt')
    await new Promise((res) => setTimeout(res, 100))
    expect(sent).toHaveLength(1)
    expect(t.logger.entries.some((l) => /notice delayed/.test(JSON.stringify(l)))).toBe(true)
    const mark = await t.rawStore.info({ sid: r.sid, key: 'psitransfer-bucket' } as never)
    expect(decodeNotice(mark.extra)).toMatchObject({ count: 2 })

    // An hour after the first mail the quota allows one more: the next upload sends all three.
    t.clock.advance(3_600_000)
    await send(t, r, 'four.txt')
    await until(() => sent.length === 2, 'the digest')
    const text = sent[1]?.text ?? ''
    expect(text).toContain('New files arrived for your upload request: 3.')
    for (const n of ['two.txt', 'three.txt', 'four.txt']) expect(text).toContain(`- ${n} (`)
    expect(text).not.toContain('one.txt')
  })

  it('is due at once when never mailed, else a window after the last mail; a broken state reads as empty', () => {
    expect(noticeDueAt({ v: 1, lastMailAt: null, count: 0, bytes: 0, files: [] }, 600)).toBeUndefined()
    expect(noticeDueAt({ v: 1, lastMailAt: null, count: 1, bytes: 1, files: [] }, 600)).toBe(0)
    expect(noticeDueAt({ v: 1, lastMailAt: 1000, count: 1, bytes: 1, files: [] }, 600)).toBe(1600)
    expect(decodeNotice({ requestNotice: '{broken' })).toMatchObject({ count: 0, lastMailAt: null })
  })
})
