import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { en, type Lang, type Translate, translator } from './index.js'

export interface I18n {
  lang: Lang
  /** Locale for Intl formatting. */
  locale: string
  t: Translate
  setLang(lang: Lang): void
}

export const I18nContext = createContext<I18n>({
  lang: 'en',
  locale: 'en',
  t: translator(en),
  setLang: () => {},
})

export function useI18n(): I18n {
  return useContext(I18nContext)
}
