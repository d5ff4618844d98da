import { useI18n } from '../i18n/context.js'
import { isLang, LANGUAGES } from '../i18n/index.js'

export function LangSwitch() {
  const { lang, setLang, t } = useI18n()
  return (
    <div class="lang-switch">
      <label for="lang-select" class="sr-only">
        {t('language')}
      </label>
      <select
        id="lang-select"
        value={lang}
        onChange={(e) => {
          const v = (e.currentTarget as HTMLSelectElement).value
          if (isLang(v)) setLang(v)
        }}
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </div>
  )
}
