import { useEffect, useMemo, useState } from 'preact/hooks'
import type { Api } from '../../api/client.js'
import type { ClientConfig } from '../../api/types.js'
import { useI18n } from '../../i18n/context.js'
import { CUSTOM, retentionLabel, sortRetentions, UNTIL_DELETED } from '../../lib/retention.js'

export interface RetentionOption {
  value: string
  label: string
}

/**
 * The retention choices: the operator's list in its order, then "Until deleted" and "Custom
 * date…" when the server offers them (`untilDeleted`, `customExpiry`; older servers say neither).
 */
export function retentionOptions(
  config: ClientConfig,
  serverMessages: Record<string, string>,
  t: (key: 'oneTime' | 'untilDeleted' | 'customExpiry') => string,
  locale: string,
): RetentionOption[] {
  const listed = (
    config.retentionOrder?.filter((v) => v in config.retentions) ??
    sortRetentions(Object.keys(config.retentions))
  ).map((value) => ({
    value,
    label: retentionLabel(value, {
      serverMessages,
      configLabel: config.retentions[value],
      oneTimeLabel: t('oneTime'),
      locale,
    }),
  }))
  return [
    ...listed,
    ...(config.untilDeleted ? [{ value: UNTIL_DELETED, label: t('untilDeleted') }] : []),
    ...(config.customExpiry ? [{ value: CUSTOM, label: t('customExpiry') }] : []),
  ]
}

/** The retention choices in the operator's order, labelled in the current language. */
export function useRetentionOptions(api: Api, config: ClientConfig | null): RetentionOption[] {
  const { t, locale, lang } = useI18n()
  const [serverMessages, setServerMessages] = useState<Record<string, string>>({})

  // Server-side strings (retention labels) in the current language; the page works without them.
  useEffect(() => {
    if (!config) return
    api.lang(lang).then(
      (r) => setServerMessages(r.messages ?? {}),
      () => setServerMessages({}),
    )
  }, [api, lang, config])

  return useMemo(
    () => (config ? retentionOptions(config, serverMessages, t, locale) : []),
    [config, serverMessages, t, locale],
  )
}
