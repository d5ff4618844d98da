import { describe, expect, it } from 'vitest'
import { DEFAULT_RETENTIONS } from './config.js'
import { langMessages, pickLanguage, retentionLabel } from './i18n.js'

describe('languages', () => {
  it('picks ?lang, then Accept-Language by quality, then the default', () => {
    expect(pickLanguage('de', 'fr', 'en')).toBe('de')
    expect(pickLanguage(undefined, 'xx, fr;q=0.5, it;q=0.9', 'en')).toBe('it')
    expect(pickLanguage(undefined, 'zh-TW,zh;q=0.9', 'en')).toBe('zh-tw')
    expect(pickLanguage(undefined, 'zh-Hant-HK', 'en')).toBe('zh-tw')
    expect(pickLanguage(undefined, 'de-AT', 'en')).toBe('de')
    expect(pickLanguage('xx', 'xx', 'fr')).toBe('fr')
    expect(pickLanguage(undefined, undefined, 'nonsense')).toBe('en')
  })
  it('translates default retention labels and keeps custom ones', () => {
    expect(retentionLabel('3600', '1 Hour', 'de')).toBe('1 Stunde')
    expect(retentionLabel('1209600', '2 Weeks', 'ru')).toBe('2 недели')
    expect(retentionLabel('one-time', 'one time download', 'fr')).toBe('Téléchargement unique')
    expect(retentionLabel('3600', 'Eine Stunde!', 'de')).toBe('Eine Stunde!')
    expect(retentionLabel('3600', '1 Hour', 'en')).toBe('1 Hour')
    expect(Object.keys(langMessages(DEFAULT_RETENTIONS, 'ja'))[0]).toBe('retention.one-time')
  })
})
