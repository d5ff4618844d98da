import { describe, expect, it } from 'vitest'
import { LANGUAGES } from '../i18n.js'
import {
  downloadedMail,
  MAIL_STRINGS,
  MAX_SENDER_MESSAGE,
  mailDate,
  requestFilesMail,
  shareMail,
} from './messages.js'

const LINK = 'https://files.example/0c7a4f5e-1d2b-4c3a-9e8f-123456789abc'
const MANAGE = 'https://files.example/manage/secret-manage-token'

describe('mail texts', () => {
  it('has every string in every language, with its placeholders', () => {
    const keys = Object.keys(MAIL_STRINGS.en).sort()
    for (const lang of LANGUAGES) {
      const t = MAIL_STRINGS[lang]
      expect(Object.keys(t).sort(), lang).toEqual(keys)
      for (const [key, value] of Object.entries(t)) {
        expect(value.trim(), `${lang}.${key}`).not.toBe('')
        for (const ph of (MAIL_STRINGS.en[key] ?? '').match(/\{\w+\}/g) ?? []) {
          expect(value, `${lang}.${key} keeps ${ph}`).toContain(ph)
        }
      }
    }
  })

  it('puts the share link and the sender message, quoted, into a share mail, and no manage link', () => {
    const mail = shareMail('en', { link: LINK, message: 'line 1\r\n-- \nnot a signature' })
    expect(mail.text).toContain(LINK)
    expect(mail.text).toContain('> line 1\n> -- \n> not a signature')
    expect(mail.text).not.toContain('manage')
  })

  it('cuts a very long sender message', () => {
    const mail = shareMail('en', { link: LINK, message: 'x'.repeat(MAX_SENDER_MESSAGE * 2) })
    expect(mail.text.length).toBeLessThan(MAX_SENDER_MESSAGE + 500)
    expect(mail.text).toContain('…')
  })

  it('gives the uploader and the requester their manage link', () => {
    expect(downloadedMail('fr', { at: 0, manageLink: MANAGE }).text).toContain(MANAGE)
    const req = requestFilesMail('ja', { count: 3, bytes: 3, files: [], manageLink: MANAGE })
    expect(req.text).toContain(MANAGE)
    expect(req.text).toContain('3')
  })

  it('lists a requester digest: names with sizes, the count, the total, the rest summed up', () => {
    const files = Array.from({ length: 50 }, (_, i) => ({ name: `f${i}.pdf`, size: 1500 }))
    const mail = requestFilesMail('en', {
      count: 70,
      bytes: 2_500_000,
      files: [{ name: 'evil\r\nBcc: x@y.z.txt', size: 12 }, ...files],
      manageLink: MANAGE,
    })
    expect(mail.text).toContain('New files arrived for your upload request: 70.')
    expect(mail.text).toContain('- evil Bcc: x@y.z.txt (12 byte')
    expect(mail.text).toContain('- f0.pdf (1.5 kB)')
    expect(mail.text).toContain('- f48.pdf (1.5 kB)\n- … and 20 more\nIn all: 2.5 MB.')
    expect(mail.text).not.toContain('f49.pdf')
    const de = requestFilesMail('de', {
      count: 1,
      bytes: 1500,
      files: [{ name: 'a', size: 1500 }],
      manageLink: MANAGE,
    })
    expect(de.text).toContain('- a (1,5 kB)\nInsgesamt: 1,5 kB.')
  })

  it('lists the file names of a downloaded share one per line, line breaks in a name removed', () => {
    const mail = downloadedMail('en', { at: 0, files: ['a.txt', 'evil\r\nBcc: x@y.z.txt'] })
    expect(mail.text).toContain('Files in this share:\n- a.txt\n- evil Bcc: x@y.z.txt\n')
    const many = downloadedMail('en', { at: 0, files: Array.from({ length: 60 }, (_, i) => `f${i}`) })
    expect(many.text).toContain('- f49\n- …')
    expect(many.text).not.toContain('f50')
  })

  it('writes dates in the language, in UTC, saying so', () => {
    const at = Date.UTC(2027, 4, 3, 14, 5)
    expect(mailDate('en', at)).toMatch(/May 3, 2027.*02:05\s?PM UTC/)
    expect(mailDate('de', at)).toMatch(/3\. Mai 2027.*14:05 UTC/)
  })
})
