/** Locale-aware formatting with Intl only, so no unit strings need translating. */

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const

/** `1536` → `1.5 kB` in the given locale (decimal units, like most file managers). */
export function formatBytes(bytes: number, locale: string): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–'
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  if (unit === 0) return formatPlainBytes(value, locale)
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: value >= 100 ? 0 : 1,
  }).format(value)
}

/**
 * Plain bytes: the "short" form is odd in many locales ("67 byte"), the "narrow" one has the
 * right symbol but often no space ("67B"); take the narrow symbol with the spacing the locale
 * uses for kB ("67 B", "67 o", but "67byte" where kB has no space either).
 */
function formatPlainBytes(value: number, locale: string): string {
  const parts = new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'byte',
    unitDisplay: 'narrow',
  }).formatToParts(value)
  if (parts.some((p) => p.type === 'literal')) return parts.map((p) => p.value).join('')
  const gap =
    new Intl.NumberFormat(locale, { style: 'unit', unit: 'kilobyte', unitDisplay: 'short' })
      .formatToParts(1)
      .find((p) => p.type === 'literal')?.value ?? ''
  let out = ''
  parts.forEach((p, i) => {
    const prev = parts[i - 1]
    if (prev && (prev.type === 'unit') !== (p.type === 'unit')) out += gap
    out += p.value
  })
  return out
}

const DURATION_UNITS: ReadonlyArray<readonly [Intl.NumberFormatOptions['unit'] & string, number]> = [
  ['week', 604800],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
]

/**
 * A duration as the largest unit that divides it evenly, e.g. 1209600 → "2 weeks", 21600 → "6 hours".
 * Used for retention labels the server did not translate.
 */
export function formatRetention(seconds: number, locale: string): string {
  for (const [unit, size] of DURATION_UNITS) {
    if (seconds >= size && seconds % size === 0) {
      return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(
        seconds / size,
      )
    }
  }
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'long' }).format(seconds)
}

/** Time left, rounded to something readable: "45 s", "3 min", "1 h 5 min". */
export function formatEta(seconds: number, locale: string): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–'
  const unit = (value: number, u: string) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'narrow' }).format(value)
  const s = Math.ceil(seconds)
  if (s < 60) return unit(s, 'second')
  const m = Math.round(s / 60)
  if (m < 60) return unit(m, 'minute')
  const h = Math.floor(m / 60)
  const rest = m % 60
  return rest === 0 ? unit(h, 'hour') : `${unit(h, 'hour')} ${unit(rest, 'minute')}`
}

/** A timestamp (ms) as date and time. */
export function formatDate(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms))
}

/** Bytes per second as a rate, e.g. "2.3 MB/s". */
export function formatSpeed(bytesPerSecond: number, locale: string): string {
  return `${formatBytes(bytesPerSecond, locale)}/s`
}
