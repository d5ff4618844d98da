import { describe, expect, it } from 'vitest'
import {
  detectLanguage,
  en,
  interpolate,
  intlLocale,
  LANGUAGES,
  loadMessages,
  matchLanguage,
  translator,
} from './index.js'

// Every locale module as shipped, read eagerly so a missing file fails here too.
const modules = import.meta.glob<{ default: Record<string, string> }>('./locales/*.ts', { eager: true })
const byLang = new Map(
  Object.entries(modules).map(([path, m]) => [path.replace(/^.*\/|\.ts$/g, ''), m.default]),
)
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('translations', () => {
  it('exist for exactly the 16 PsiTransfer languages', () => {
    expect([...byLang.keys()].sort()).toEqual(LANGUAGES.map((l) => l.code).sort())
    expect(LANGUAGES).toHaveLength(16)
  })

  for (const { code } of LANGUAGES) {
    describe(code, () => {
      const messages = byLang.get(code) ?? {}

      it('has every key of the English reference and no others', () => {
        const missing = Object.keys(en).filter((k) => !(k in messages))
        const extra = Object.keys(messages).filter((k) => !(k in en))
        expect({ missing, extra }).toEqual({ missing: [], extra: [] })
      })

      it('has a non-empty text with the same placeholders for every key', () => {
        for (const [key, text] of Object.entries(en)) {
          const translated = messages[key]
          expect(translated?.trim(), `${code}.${key} is empty`).toBeTruthy()
          expect(placeholders(translated ?? ''), `${code}.${key} placeholders`).toEqual(placeholders(text))
        }
      })

      it('loads through the lazy loader the app uses', async () => {
        expect(await loadMessages(code)).toEqual(messages)
      })
    })
  }
})

describe('language detection', () => {
  it('maps browser tags to our languages', () => {
    expect(matchLanguage('de-AT')).toBe('de')
    expect(matchLanguage('pt-BR')).toBe('pt')
    expect(matchLanguage('zh-CN')).toBe('zh')
    expect(matchLanguage('zh-Hans')).toBe('zh')
    expect(matchLanguage('zh-TW')).toBe('zh-tw')
    expect(matchLanguage('zh-Hant-HK')).toBe('zh-tw')
    expect(matchLanguage('zh-HK')).toBe('zh-tw')
    expect(matchLanguage('fi')).toBeNull()
  })

  it('prefers a stored choice, then the browser order, then the server default, then English', () => {
    expect(detectLanguage('ja', ['de'])).toBe('ja')
    expect(detectLanguage('xx', ['fi', 'sv-SE', 'de'])).toBe('sv')
    expect(detectLanguage(null, ['fi'], 'fr')).toBe('fr')
    expect(detectLanguage(null, [])).toBe('en')
  })

  it('gives Intl locales for formatting', () => {
    expect(intlLocale('zh-tw')).toBe('zh-TW')
    expect(intlLocale('de')).toBe('de')
  })
})

describe('translator', () => {
  it('fills placeholders and falls back to English for missing keys', () => {
    const t = translator({ removeFile: 'Entferne {name}' })
    expect(t('removeFile', { name: 'a.txt' })).toBe('Entferne a.txt')
    expect(t('upload')).toBe('Upload')
  })

  it('keeps unknown placeholders visible', () => {
    expect(interpolate('{a} {b}', { a: 1 })).toBe('1 {b}')
  })
})
