/**
 * The tar format (POSIX.1-2001 ustar with pax extended headers) for archives of regular files
 * whose sizes are known before their bytes: records as plain bytes, no I/O. An entry is a
 * 512-byte header, the file's bytes and zero padding to the next multiple of 512; the archive
 * ends with two zero blocks.
 *
 * A name that is not plain ASCII or longer than the ustar name field, and a size of 8 GiB or
 * more, go into a pax header before the entry's own (the ustar header then holds an ASCII
 * stand-in for the name and the size in base-256), as GNU tar, bsdtar and 7-Zip read them.
 * @module
 */

export interface TarEntry {
  /** Path inside the archive (`/`-separated, unique). */
  name: string
  size: number
  /** Modification time, ms since the epoch. */
  mtime: number
}

export const TAR_BLOCK = 512
/** Largest size the 11 octal digits of the ustar size field hold: 8 GiB − 1. */
const OCTAL_SIZE_MAX = 0o77777777777
const NAME_FIELD = 100
const encoder = new TextEncoder()

/** The end of the archive: two zero blocks. */
export const TAR_END: Uint8Array = new Uint8Array(2 * TAR_BLOCK)

/** Zero bytes after an entry of `size` bytes, up to its next 512-byte boundary. */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK
}

/** The header records of one entry: a pax header first where ustar cannot hold it. */
export function tarHeader(entry: TarEntry, octalSizeMax = OCTAL_SIZE_MAX): Uint8Array {
  const name = encoder.encode(entry.name)
  const plain = name.byteLength <= NAME_FIELD && /^[\x20-\x7e]*$/.test(entry.name)
  const big = entry.size > octalSizeMax
  const mtime = Math.max(0, Math.floor(entry.mtime / 1000))
  const header = ustar(plain ? name : asciiStandIn(entry.name), entry.size, mtime, '0', big)
  if (plain && !big) return header
  const records: string[] = []
  if (!plain) records.push(paxRecord('path', entry.name))
  if (big) records.push(paxRecord('size', String(entry.size)))
  const body = encoder.encode(records.join(''))
  const paxName = encoder.encode(`PaxHeader/${new TextDecoder().decode(asciiStandIn(entry.name)).slice(-80)}`)
  const out = new Uint8Array(2 * TAR_BLOCK + body.byteLength + tarPadding(body.byteLength))
  out.set(ustar(paxName, body.byteLength, mtime, 'x', false))
  out.set(body, TAR_BLOCK)
  out.set(header, out.byteLength - TAR_BLOCK)
  return out
}

/** `"<length> key=value\n"`, where the length counts the whole record, its own digits too. */
export function paxRecord(key: string, value: string): string {
  const rest = encoder.encode(` ${key}=${value}\n`).byteLength
  let length = rest + 1
  while (String(length).length + rest !== length) length = String(length).length + rest
  return `${length} ${key}=${value}\n`
}

/** The name as ASCII for readers without pax: other characters become `_`, at most 100 bytes. */
function asciiStandIn(name: string): Uint8Array {
  const ascii = name.replace(/[^\x20-\x7e]/gu, '_')
  return encoder.encode(ascii.length > NAME_FIELD ? ascii.slice(-NAME_FIELD) : ascii)
}

function ustar(name: Uint8Array, size: number, mtime: number, type: string, base256: boolean): Uint8Array {
  const h = new Uint8Array(TAR_BLOCK)
  h.set(name.subarray(0, NAME_FIELD), 0)
  octal(h, 100, 8, 0o644)
  octal(h, 108, 8, 0)
  octal(h, 116, 8, 0)
  if (base256) {
    // GNU's base-256 form: the high bit of the first byte set, the value big-endian after it.
    h[124] = 0x80
    let v = size
    for (let i = 135; i > 124; i--) {
      h[i] = v % 256
      v = Math.floor(v / 256)
    }
  } else octal(h, 124, 12, size)
  octal(h, 136, 12, mtime)
  h[156] = type.charCodeAt(0)
  h.set(encoder.encode('ustar\x0000'), 257)
  // The checksum is taken with its own field as eight spaces, then written as 6 digits, NUL, space.
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  octal(h, 148, 7, sum)
  h[155] = 0x20
  return h
}

/** `value` as zero-padded octal digits filling `len - 1` bytes, then a NUL. */
function octal(h: Uint8Array, at: number, len: number, value: number): void {
  h.set(encoder.encode(value.toString(8).padStart(len - 1, '0')), at)
  h[at + len - 1] = 0
}
