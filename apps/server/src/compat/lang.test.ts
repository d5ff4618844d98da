/** Upstream line numbers: psi-4ward/psitransfer app/src/Upload/Settings.vue at 2d6056d, app/src/Upload/store/upload.js at de654c5. */
import { describe, expect, it } from 'vitest'
import { DEFAULT_RETENTIONS } from '../config.js'
import { LANGUAGES, langMessages } from '../i18n.js'
import { compatLangJson, PSI_TEXT_KEYS, psitransferLang } from './lang.js'

/**
 * PsiTransfer's `lang/en.js` key set (the other 15 files have the same keys, some without
 * `uploadPassword`), and how many `%%` each value holds there: its client replaces them in
 * order (Upload/store/upload.js: size, then limit), so the count is part of the contract.
 */
const UPSTREAM_KEYS = [
  'langCode',
  'oldBrowserError',
  'dropFilesHere',
  'noPreviewAvailable',
  'preview',
  'comment',
  'settings',
  'retention',
  'password',
  'required',
  'optional',
  'generateRandomPassword',
  'newUpload',
  'accessDenied',
  'login',
  'email',
  'clipboard',
  'copyToClipboard',
  'sendViaMail',
  'showQrCode',
  'uploadCompleted',
  'downloadLink',
  'upload',
  'retry',
  'createNewUploadSession',
  'decrypt',
  'files',
  'zipDownload',
  'tarGzDownload',
  'oneTimeDownloadExpired',
  'fileSizeExceed',
  'bucketSizeExceed',
  'mailInvalid',
  'mailTo',
  'mailToPlaceholder',
  'mailFrom',
  'mailFromPlaceholder',
  'mailMessage',
  'mailDownloadNotification',
  'mailSendBtn',
  'mailsSent',
  'mailSubjectUploader',
  'mailSubjectDownloader',
  'mailSubjectFileDownloaded',
  'retentions',
  'uploadPassword',
]
const UPSTREAM_PLACEHOLDERS: Record<string, number> = { fileSizeExceed: 2, bucketSizeExceed: 2 }

const count = (s: string) => s.split('%%').length - 1

describe('PsiTransfer lang.json', () => {
  it('has 16 languages, langCode as PsiTransfer spells it', () => {
    expect(LANGUAGES).toHaveLength(16)
    for (const lang of LANGUAGES) expect(psitransferLang(lang, DEFAULT_RETENTIONS).langCode).toBe(lang)
  })

  it.each(LANGUAGES)('%s has exactly PsiTransfer’s key set, no empty text', (lang) => {
    const body = psitransferLang(lang, DEFAULT_RETENTIONS)
    expect(Object.keys(body).sort()).toEqual([...UPSTREAM_KEYS].sort())
    for (const key of PSI_TEXT_KEYS) {
      const v = body[key]
      expect(typeof v, key).toBe('string')
      expect(v.trim(), key).not.toBe('')
    }
  })

  it.each(LANGUAGES)(
    '%s has as many %%%% per key as upstream (Upload/store/upload.js:56 and :97 replace two, size then limit)',
    (lang) => {
      const body = psitransferLang(lang, DEFAULT_RETENTIONS)
      for (const key of PSI_TEXT_KEYS) expect(count(body[key]), key).toBe(UPSTREAM_PLACEHOLDERS[key] ?? 0)
    },
  )

  it('texts are translated, not English copies (a few words may coincide)', () => {
    const en = psitransferLang('en', DEFAULT_RETENTIONS)
    for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
      const body = psitransferLang(lang, DEFAULT_RETENTIONS)
      const same = PSI_TEXT_KEYS.filter((k) => body[k] === en[k])
      expect(same.length, `${lang}: ${same.join(', ')}`).toBeLessThanOrEqual(3)
    }
  })

  it('Settings.vue:16 reads lang.retentions[seconds]: exactly the configured keys, labelled', () => {
    const configured = { '3600': '1 Hour', 'one-time': 'one time download', '1209600': '2 Weeks' }
    for (const lang of LANGUAGES) {
      const { retentions } = psitransferLang(lang, configured)
      expect(Object.keys(retentions).sort()).toEqual(Object.keys(configured).sort())
      for (const label of Object.values(retentions)) expect(label.trim()).not.toBe('')
    }
    // Settings.vue iterates config.retentions and looks each key up here.
    expect(psitransferLang('de', configured).retentions['3600']).toBe('1 Stunde')
    expect(psitransferLang('en', configured).retentions['one-time']).toBe('one time download')
    // An operator's own label is kept as configured (it cannot be translated).
    expect(psitransferLang('fr', { '7200': 'Deux heures (custom)' }).retentions).toEqual({
      '7200': 'Deux heures (custom)',
    })
  })

  it('the default retention list gives the 9 default keys', () => {
    const { retentions } = psitransferLang('ja', DEFAULT_RETENTIONS)
    expect(Object.keys(retentions).sort()).toEqual(Object.keys(DEFAULT_RETENTIONS).sort())
  })

  it('compatLangJson puts our own shape beside PsiTransfer’s, no key overwritten', () => {
    for (const lang of LANGUAGES) {
      const body = compatLangJson(lang, DEFAULT_RETENTIONS)
      const psi = psitransferLang(lang, DEFAULT_RETENTIONS)
      expect(body).toMatchObject(psi)
      expect(body.lang).toBe(lang)
      expect(body.messages).toEqual(langMessages(DEFAULT_RETENTIONS, lang))
      expect(Object.keys(psi)).not.toContain('lang')
      expect(Object.keys(psi)).not.toContain('messages')
    }
  })
})
