import en from './locales/en.js'

export type MessageKey = keyof typeof en
export type Messages = Record<MessageKey, string>
export type Params = Record<string, string | number>
export type Translate = (key: MessageKey, params?: Params) => string

/** PsiTransfer's 16 languages, each named in itself for the switcher. */
export const LANGUAGES = [
  { code: 'de', name: 'Deutsch' },
  { code: 'el', name: 'Ελληνικά' },
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
  { code: 'fr', name: 'Français' },
  { code: 'it', name: 'Italiano' },
  { code: 'ja', name: '日本語' },
  { code: 'ko', name: '한국어' },
  { code: 'nl', name: 'Nederlands' },
  { code: 'pl', name: 'Polski' },
  { code: 'pt', name: 'Português' },
  { code: 'ru', name: 'Русский' },
  { code: 'sv', name: 'Svenska' },
  { code: 'tr', name: 'Türkçe' },
  { code: 'zh', name: '简体中文' },
  { code: 'zh-tw', name: '繁體中文' },
] as const

export type Lang = (typeof LANGUAGES)[number]['code']
const CODES = new Set<string>(LANGUAGES.map((l) => l.code))

export function isLang(code: string): code is Lang {
  return CODES.has(code)
}

/** Maps a BCP 47 tag (`de-AT`, `zh-Hant-HK`, `pt-BR`) to one of our languages, or `null`. */
export function matchLanguage(tag: string): Lang | null {
  const t = tag.toLowerCase()
  if (t.startsWith('zh')) return /^zh-(tw|hk|mo|hant)/.test(t) ? 'zh-tw' : 'zh'
  const primary = t.split('-')[0]!
  return isLang(primary) ? primary : null
}

/** A stored choice wins, then the browser's languages in order, then the server's default, then English. */
export function detectLanguage(
  stored: string | null,
  browser: readonly string[],
  serverDefault?: string,
): Lang {
  if (stored && isLang(stored)) return stored
  for (const tag of browser) {
    const m = matchLanguage(tag)
    if (m) return m
  }
  const d = serverDefault ? matchLanguage(serverDefault) : null
  return d ?? 'en'
}

/** The Intl locale for number and date formatting. */
export function intlLocale(lang: Lang): string {
  return lang === 'zh-tw' ? 'zh-TW' : lang === 'zh' ? 'zh-CN' : lang
}

/** Replaces `{name}` placeholders; unknown placeholders stay visible rather than vanish. */
export function interpolate(text: string, params?: Params): string {
  if (!params) return text
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m))
}

export function translator(messages: Partial<Messages>): Translate {
  return (key, params) => interpolate(messages[key] ?? en[key] ?? key, params)
}

// Every language but English is its own chunk, loaded while config.json is fetched.
const loaders = import.meta.glob<{ default: Messages }>(['./locales/*.ts', '!./locales/en.ts'])

export async function loadMessages(lang: Lang): Promise<Messages> {
  if (lang === 'en') return en
  const load = loaders[`./locales/${lang}.ts`]
  if (!load) return en
  return (await load()).default
}

export { en }
