/**
 * E-mail addresses and header text from users, made safe before they reach an SMTP message:
 * one plain `local@domain` address per field (no display names, lists or comments), and header
 * text without line breaks or control characters, so nothing a user types can add a header or
 * a recipient.
 * @module
 */
import { PsiError } from '@psitransfer/core'

/** RFC 5321's limits: 64 octets of local part, 254 of path. */
const MAX_ADDRESS = 254
const MAX_LOCAL = 64
// Dot-atom local part and a host name of LDH labels with a dot; deliberately narrower than
// RFC 5322 (no quoted local parts, no IP literals): those are where header tricks hide.
const ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/

/** The address, trimmed, or `INVALID_INPUT` saying what is wrong with it. */
export function parseAddress(input: unknown, field = 'e-mail address'): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new PsiError('INVALID_INPUT', `Please give an ${field}`)
  }
  const address = input.trim()
  const local = address.slice(0, address.lastIndexOf('@'))
  if (address.length > MAX_ADDRESS || local.length > MAX_LOCAL || !ADDRESS.test(address)) {
    throw new PsiError('INVALID_INPUT', `This is not a single valid ${field}: use the form name@example.com`)
  }
  return address
}

/** Header text on one line: control characters (CR, LF, TAB, NUL…) become spaces, at most `max` characters. */
export function headerText(text: string, max = 200): string {
  const line = text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
