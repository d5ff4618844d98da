/**
 * The zip format (PKWARE APPNOTE 6.3) for archives of stored (uncompressed) entries whose sizes
 * are known before their bytes are read: records as plain bytes, no I/O. Each entry is a local
 * header, the file's bytes and a data descriptor that carries the CRC-32 (known only once the
 * bytes were read, so they are read once); the central directory follows the last entry. Zip64
 * records appear only where a size, an offset or the entry count needs them, so the archive of
 * a few small files is what every unzip reads.
 *
 * Since every size is known, so is the archive's length before the first byte
 * ({@link zipLayout}): the download can say `Content-Length`, and the browser shows progress.
 * @module
 */

export interface ZipEntry {
  /** Path inside the archive (`/`-separated, unique). */
  name: string
  size: number
  /** Modification time, ms since the epoch. */
  mtime: number
}

const U16 = 0xffff
const U32 = 0xffffffff
/** bit 3: sizes and CRC follow the data (data descriptor); bit 11: the name is UTF-8. */
const FLAGS = 0x0808
/** Version needed to extract: 2.0 (data descriptor), 4.5 (zip64). */
const V20 = 20
const V45 = 45
/** Made by: Unix (3), so the external attributes hold a mode. */
const MADE_BY_UNIX = 3 << 8
/** Regular file, rw-r--r--, in the high half of the external attributes. */
const EXTERNAL_ATTRS = 0o100644 * 0x10000
const LOCAL_HEADER = 30
const CENTRAL_HEADER = 46
const END = 22
const ZIP64_END = 56
const ZIP64_LOCATOR = 20
/** Extended timestamp extra field (0x5455): flags + mtime in UTC seconds. */
const TIMESTAMP_EXTRA = 9

const encoder = new TextEncoder()

/** Where an entry's records sit in the archive, and which of them need zip64. */
export interface ZipEntryLayout {
  entry: ZipEntry
  name: Uint8Array
  /** Offset of the local header. */
  offset: number
  /** Offset of the entry's first data byte. */
  dataStart: number
  /** Offset just past its data descriptor: the entry is whole in the bytes before it. */
  end: number
  /** Sizes need 64 bits (in the descriptor and the central directory). */
  zip64Size: boolean
  /** The local header's offset needs 64 bits (in the central directory). */
  zip64Offset: boolean
}

export interface ZipLayout {
  entries: ZipEntryLayout[]
  /** Offset of the central directory. */
  directoryOffset: number
  directorySize: number
  /** The end records include zip64 ones (entry count, directory size or offset too large). */
  zip64End: boolean
  /** Total length of the archive. */
  size: number
}

/**
 * Lays out the archive of `entries`: every offset, and its total length. Sizes and offsets from
 * `zip64From` on (default 0xFFFFFFFF, where the 32-bit fields end) take zip64 records; tests
 * lower it to check those records without writing 4 GiB.
 */
export function zipLayout(entries: readonly ZipEntry[], zip64From = U32): ZipLayout {
  let pos = 0
  const out: ZipEntryLayout[] = []
  let directorySize = 0
  for (const entry of entries) {
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new RangeError(`bad size ${entry.size}`)
    const name = encoder.encode(entry.name)
    if (name.byteLength > U16) throw new RangeError('entry name too long for zip')
    const zip64Size = entry.size >= zip64From
    const zip64Offset = pos >= zip64From
    const offset = pos
    const dataStart = offset + LOCAL_HEADER + name.byteLength + TIMESTAMP_EXTRA
    const end = dataStart + entry.size + (zip64Size ? 24 : 16)
    out.push({ entry, name, offset, dataStart, end, zip64Size, zip64Offset })
    directorySize +=
      CENTRAL_HEADER + name.byteLength + TIMESTAMP_EXTRA + zip64ExtraLength(zip64Size, zip64Offset)
    pos = end
  }
  const directoryOffset = pos
  const zip64End = needsZip64End(out.length, directoryOffset, directorySize, zip64From)
  const size = directoryOffset + directorySize + (zip64End ? ZIP64_END + ZIP64_LOCATOR : 0) + END
  return { entries: out, directoryOffset, directorySize, size, zip64End }
}

/** The local header (with the entry's name and timestamp) that precedes its data. */
export function localHeader(e: ZipEntryLayout): Uint8Array {
  const b = new Uint8Array(LOCAL_HEADER + e.name.byteLength + TIMESTAMP_EXTRA)
  const v = view(b)
  const [time, date] = dosDateTime(e.entry.mtime)
  v.setUint32(0, 0x04034b50, true)
  v.setUint16(4, e.zip64Size ? V45 : V20, true)
  v.setUint16(6, FLAGS, true)
  v.setUint16(8, 0, true) // stored
  v.setUint16(10, time, true)
  v.setUint16(12, date, true)
  // CRC-32 and sizes: 0 here, in the data descriptor after the data (flag bit 3).
  v.setUint16(26, e.name.byteLength, true)
  v.setUint16(28, TIMESTAMP_EXTRA, true)
  b.set(e.name, LOCAL_HEADER)
  timestampExtra(v, LOCAL_HEADER + e.name.byteLength, e.entry.mtime)
  return b
}

/** The data descriptor after the entry's data: its CRC-32 and sizes (64-bit ones for zip64). */
export function dataDescriptor(e: ZipEntryLayout, crc: number): Uint8Array {
  const b = new Uint8Array(e.zip64Size ? 24 : 16)
  const v = view(b)
  v.setUint32(0, 0x08074b50, true)
  v.setUint32(4, crc >>> 0, true)
  if (e.zip64Size) {
    v.setBigUint64(8, BigInt(e.entry.size), true)
    v.setBigUint64(16, BigInt(e.entry.size), true)
  } else {
    v.setUint32(8, e.entry.size, true)
    v.setUint32(12, e.entry.size, true)
  }
  return b
}

/** The central directory and the end records, given each entry's CRC-32 (in entry order). */
export function centralDirectory(layout: ZipLayout, crcs: readonly number[]): Uint8Array {
  const { entries, directoryOffset, directorySize, zip64End } = layout
  const b = new Uint8Array(layout.size - directoryOffset)
  const v = view(b)
  let p = 0
  for (const [i, e] of entries.entries()) {
    const [time, date] = dosDateTime(e.entry.mtime)
    const zip64 = e.zip64Size || e.zip64Offset
    const extra = TIMESTAMP_EXTRA + zip64ExtraLength(e.zip64Size, e.zip64Offset)
    v.setUint32(p, 0x02014b50, true)
    v.setUint16(p + 4, MADE_BY_UNIX | (zip64 ? V45 : V20), true)
    v.setUint16(p + 6, zip64 ? V45 : V20, true)
    v.setUint16(p + 8, FLAGS, true)
    v.setUint16(p + 10, 0, true)
    v.setUint16(p + 12, time, true)
    v.setUint16(p + 14, date, true)
    v.setUint32(p + 16, (crcs[i] ?? 0) >>> 0, true)
    v.setUint32(p + 20, e.zip64Size ? U32 : e.entry.size, true)
    v.setUint32(p + 24, e.zip64Size ? U32 : e.entry.size, true)
    v.setUint16(p + 28, e.name.byteLength, true)
    v.setUint16(p + 30, extra, true)
    // Comment length, disk number start, internal attributes: 0.
    v.setUint32(p + 38, EXTERNAL_ATTRS, true)
    v.setUint32(p + 42, e.zip64Offset ? U32 : e.offset, true)
    p += CENTRAL_HEADER
    b.set(e.name, p)
    p += e.name.byteLength
    timestampExtra(v, p, e.entry.mtime)
    p += TIMESTAMP_EXTRA
    if (zip64) {
      // Only the fields whose 32-bit slot holds 0xFFFFFFFF, in this order.
      const fields: number[] = e.zip64Size ? [e.entry.size, e.entry.size] : []
      if (e.zip64Offset) fields.push(e.offset)
      v.setUint16(p, 0x0001, true)
      v.setUint16(p + 2, fields.length * 8, true)
      p += 4
      for (const f of fields) {
        v.setBigUint64(p, BigInt(f), true)
        p += 8
      }
    }
  }
  const count = entries.length
  if (zip64End) {
    const at = directoryOffset + p
    v.setUint32(p, 0x06064b50, true)
    v.setBigUint64(p + 4, BigInt(ZIP64_END - 12), true)
    v.setUint16(p + 12, MADE_BY_UNIX | V45, true)
    v.setUint16(p + 14, V45, true)
    // This disk, the directory's disk: 0.
    v.setBigUint64(p + 24, BigInt(count), true)
    v.setBigUint64(p + 32, BigInt(count), true)
    v.setBigUint64(p + 40, BigInt(directorySize), true)
    v.setBigUint64(p + 48, BigInt(directoryOffset), true)
    p += ZIP64_END
    v.setUint32(p, 0x07064b50, true)
    v.setBigUint64(p + 8, BigInt(at), true)
    v.setUint32(p + 16, 1, true)
    p += ZIP64_LOCATOR
  }
  v.setUint32(p, 0x06054b50, true)
  // With zip64 end records, the classic fields say "see zip64" (all ones).
  v.setUint16(p + 8, zip64End ? U16 : count, true)
  v.setUint16(p + 10, zip64End ? U16 : count, true)
  v.setUint32(p + 12, zip64End ? U32 : directorySize, true)
  v.setUint32(p + 16, zip64End ? U32 : directoryOffset, true)
  return b
}

function needsZip64End(count: number, directoryOffset: number, directorySize: number, from: number): boolean {
  return count >= U16 || directoryOffset >= from || directorySize >= from
}

function zip64ExtraLength(size: boolean, offset: boolean): number {
  if (!size && !offset) return 0
  return 4 + (size ? 16 : 0) + (offset ? 8 : 0)
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength)
}

/** Extended timestamp (0x5455): the modification time in UTC seconds, which DOS time lacks. */
function timestampExtra(v: DataView, at: number, mtime: number): void {
  v.setUint16(at, 0x5455, true)
  v.setUint16(at + 2, 5, true)
  v.setUint8(at + 4, 1)
  v.setUint32(at + 5, Math.max(0, Math.min(U32, Math.floor(mtime / 1000))), true)
}

/** MS-DOS time and date (local time, 2-second steps, 1980–2107) as unzip tools expect. */
export function dosDateTime(ms: number): [time: number, date: number] {
  const d = new Date(ms)
  const year = d.getFullYear()
  if (!Number.isFinite(year) || year < 1980) return [0, (0 << 9) | (1 << 5) | 1]
  if (year > 2107) return [(23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31]
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1)
  const date = ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate()
  return [time, date]
}
