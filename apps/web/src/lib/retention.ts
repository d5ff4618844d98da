import { formatRetention } from './format.js'

export const ONE_TIME = 'one-time'

/** PsiTransfer's order: one-time first, then numeric retentions ascending, then anything else as given. */
export function sortRetentions(values: readonly string[]): string[] {
  const rank = (v: string) => (v === ONE_TIME ? -1 : /^\d+$/.test(v) ? Number(v) : Number.POSITIVE_INFINITY)
  return values
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i)
    .map((x) => x.v)
}

export interface RetentionLabelSources {
  /** Messages from the server's lang.json for the current language. */
  serverMessages: Record<string, string>
  /** The label in config.json's `retentions` (the operator's text, usually English). */
  configLabel: string | undefined
  /** The UI's own translation of "one-time download". */
  oneTimeLabel: string
  locale: string
}

/**
 * A retention's label: the server's translation when lang.json has one (`retention.<value>` or the value
 * itself as key), else a localized duration for numeric values, else the UI's one-time label, else the
 * operator's label from config.json.
 */
export function retentionLabel(value: string, src: RetentionLabelSources): string {
  const server = src.serverMessages[`retention.${value}`] ?? src.serverMessages[`retentions.${value}`]
  if (server) return server
  if (value === ONE_TIME) return src.oneTimeLabel
  if (/^\d+$/.test(value) && Number(value) > 0) return formatRetention(Number(value), src.locale)
  return src.configLabel ?? value
}

/** When files uploaded now with this retention expire (ms), or `null` for one-time / non-numeric values. */
export function expiryOf(value: string, now: number): number | null {
  if (!/^\d+$/.test(value) || Number(value) <= 0) return null
  return now + Number(value) * 1000
}
