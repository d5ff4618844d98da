/**
 * Server-side strings for `lang.json`: retention labels in the 16 PsiTransfer languages.
 * Durations are formatted by ICU (`Intl.NumberFormat` with units), so plural rules are right
 * in every language; only "one-time download" needs a table.
 * @module
 */
import { DEFAULT_RETENTIONS, retentionOrder } from './config.js'

export const LANGUAGES = [
  'de',
  'el',
  'en',
  'es',
  'fr',
  'it',
  'ja',
  'ko',
  'nl',
  'pl',
  'pt',
  'ru',
  'sv',
  'tr',
  'zh',
  'zh-tw',
] as const
export type Language = (typeof LANGUAGES)[number]

const ONE_TIME: Record<Language, string> = {
  de: 'Einmaliger Download',
  el: 'Λήψη μίας φοράς',
  en: 'one time download',
  es: 'Descarga única',
  fr: 'Téléchargement unique',
  it: 'Download singolo',
  ja: '1回限りのダウンロード',
  ko: '일회성 다운로드',
  nl: 'Eenmalige download',
  pl: 'Jednorazowe pobranie',
  pt: 'Download único',
  ru: 'Однократное скачивание',
  sv: 'Engångsnedladdning',
  tr: 'Tek seferlik indirme',
  zh: '一次性下载',
  'zh-tw': '一次性下載',
}

const UNITS: Array<[seconds: number, unit: string]> = [
  [604800, 'week'],
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
]

function isLanguage(v: string): v is Language {
  return (LANGUAGES as readonly string[]).includes(v)
}

/** Maps `zh-TW`, `zh_Hant`, `de-AT` … to one of {@link LANGUAGES}, or `undefined`. */
export function normalizeLanguage(tag: string): Language | undefined {
  const t = tag.trim().toLowerCase().replace(/_/g, '-')
  if (isLanguage(t)) return t
  if (t === 'zh-hant' || t.startsWith('zh-hant-') || t === 'zh-hk' || t === 'zh-mo') return 'zh-tw'
  const primary = t.split('-')[0] ?? ''
  return isLanguage(primary) ? primary : undefined
}

/** `?lang=` first, then `Accept-Language` by q-value, then the default. */
export function pickLanguage(
  query: string | undefined,
  acceptLanguage: string | undefined,
  fallback: string,
): Language {
  const fromQuery = query ? normalizeLanguage(query) : undefined
  if (fromQuery) return fromQuery
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, i) => {
        const [tag = '', ...params] = part.split(';')
        const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined)
        return { tag, q: q === undefined ? 1 : Number(q), i }
      })
      .filter((x) => x.q > 0)
      .sort((a, b) => b.q - a.q || a.i - b.i)
    for (const { tag } of ranked) {
      const l = normalizeLanguage(tag)
      if (l) return l
    }
  }
  return normalizeLanguage(fallback) ?? 'en'
}

/** Label of a retention in `lang`; admin-customized labels are returned as configured. */
export function retentionLabel(key: string, configured: string, lang: Language): string {
  if (lang === 'en' || DEFAULT_RETENTIONS[key] !== configured) return configured
  if (key === 'one-time') return ONE_TIME[lang]
  const secs = Number(key)
  for (const [size, unit] of UNITS) {
    if (secs % size === 0) {
      const locale = lang === 'zh-tw' ? 'zh-TW' : lang
      return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(secs / size)
    }
  }
  return configured
}

export function langMessages(retentions: Record<string, string>, lang: Language): Record<string, string> {
  const messages: Record<string, string> = {}
  for (const key of retentionOrder(retentions)) {
    messages[`retention.${key}`] = retentionLabel(key, retentions[key] as string, lang)
  }
  return messages
}
