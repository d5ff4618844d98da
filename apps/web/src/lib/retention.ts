import { formatRetention } from './format.js'

export const ONE_TIME = 'one-time'
/** No expiry (the server offers it when `config.json` says `untilDeleted`). */
export const UNTIL_DELETED = 'until-deleted'
/** The select's value of "Custom date…"; the draft then holds `at:<ms>` (see {@link customRetention}). */
export const CUSTOM = 'custom'
const AT = 'at:'

/**
 * A chosen expiry date as the draft's retention (`at:<ms>`, `at:` while the input is empty or
 * invalid): it travels as one string through the session and the queue, and becomes the
 * `expiresAt` Upload-Metadata (see {@link retentionMetadata}).
 */
export function customRetention(ms: number | null): string {
  return ms === null || !Number.isFinite(ms) ? AT : `${AT}${Math.round(ms)}`
}

/** True for a chosen date (valid or not yet). */
export function isCustom(value: string): boolean {
  return value.startsWith(AT)
}

/** The chosen date of a custom retention, `null` for none (or any other retention). */
export function customDate(value: string): number | null {
  if (!isCustom(value)) return null
  const ms = Number(value.slice(AT.length))
  return value.length > AT.length && Number.isSafeInteger(ms) ? ms : null
}

/** The Upload-Metadata for a retention: `expiresAt` for a chosen date, else `retention`. */
export function retentionMetadata(value: string): Record<string, string> {
  const at = customDate(value)
  return isCustom(value) ? { expiresAt: at === null ? '' : String(at) } : { retention: value }
}

/** The range a chosen date may take at `now`: a minute ahead, up to `maxAge` seconds (`max: null`: no limit). */
export function customRange(
  maxAge: number | null | undefined,
  now: number,
): { min: number; max: number | null } {
  const min = now + 60_000
  // A minute short of maxAge: the server measures from its own clock, when the file arrives.
  return { min, max: typeof maxAge === 'number' ? now + maxAge * 1000 - 60_000 : null }
}

/** Why a chosen date cannot be used at `now`: `'past'`, `'late'`, or `null` when it is fine (or not custom). */
export function customProblem(
  value: string,
  maxAge: number | null | undefined,
  now: number,
): 'past' | 'late' | null {
  if (!isCustom(value)) return null
  const at = customDate(value)
  const { min, max } = customRange(maxAge, now)
  if (at === null || at < min) return 'past'
  return max !== null && at > max ? 'late' : null
}

/** `YYYY-MM-DDTHH:mm` in local time, for `<input type="datetime-local">`. */
export function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}

/** The instant of a `datetime-local` value (local time), `null` when empty or invalid. */
export function fromLocalInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value)
  if (!m) return null
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number]
  const date = new Date(y, mo - 1, d, h, mi)
  return date.getMonth() === mo - 1 && date.getDate() === d ? date.getTime() : null
}

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

/** When files uploaded now with this retention expire (ms), or `null` for one-time / until-deleted / non-numeric values. */
export function expiryOf(value: string, now: number): number | null {
  if (isCustom(value)) return customDate(value)
  if (!/^\d+$/.test(value) || Number(value) <= 0) return null
  return now + Number(value) * 1000
}
