import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readZip } from '../test-support/archives.js'
import {
  centralDirectory,
  dataDescriptor,
  dosDateTime,
  localHeader,
  type ZipEntry,
  zipLayout,
} from './zip.js'

/** The whole archive of `files`, record by record as the zip job sends it. */
function zipOf(files: Array<ZipEntry & { data: Uint8Array }>, zip64From?: number): Buffer {
  const layout = zipLayout(files, zip64From)
  const parts: Uint8Array[] = []
  const crcs: number[] = []
  for (const [i, e] of layout.entries.entries()) {
    const data = files[i]?.data as Uint8Array
    expect(parts.reduce((n, p) => n + p.byteLength, 0)).toBe(e.offset)
    parts.push(localHeader(e), data)
    crcs.push(crc32(data))
    parts.push(dataDescriptor(e, crc32(data)))
    expect(parts.reduce((n, p) => n + p.byteLength, 0)).toBe(e.end)
  }
  parts.push(centralDirectory(layout, crcs))
  const zip = Buffer.concat(parts)
  expect(zip.byteLength).toBe(layout.size)
  return zip
}

const mtime = Date.UTC(2026, 11, 3, 12, 34, 56)
const files = [
  { name: 'a.txt', size: 11, mtime, data: new TextEncoder().encode('hello world') },
  { name: 'Übersicht/grüße 🎉.bin', size: 70_001, mtime, data: new Uint8Array(70_001).map((_, i) => i * 7) },
  { name: 'empty', size: 0, mtime, data: new Uint8Array(0) },
]

/** `unzip -Z` (zipinfo) of the archive: the tool's own reading of every record. */
function zipinfo(zip: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'psi-zipinfo-'))
  try {
    writeFileSync(join(dir, 'a.zip'), zip)
    return execFileSync('unzip', ['-Z', '-v', join(dir, 'a.zip')], { encoding: 'utf8' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('zip records', () => {
  it('unzip reads every entry byte for byte (CRC checked), with UTF-8 names and the time', () => {
    const zip = zipOf(files)
    const entries = readZip(zip)
    expect([...entries.keys()].sort()).toEqual(files.map((f) => f.name).sort())
    for (const f of files) expect(Buffer.from(f.data).equals(entries.get(f.name) as Buffer)).toBe(true)
    const info = zipinfo(zip)
    // The extended timestamp carries the time in UTC, whatever the server's time zone.
    expect(info).toContain('2026 Dec 3 12:34:56 UTC')
    expect(info).not.toContain('64-bit sizes')
  })

  it('zip64 records (sizes, offsets, end of directory) read back the same', () => {
    // From 1,000 bytes on instead of 4 GiB: the second entry's size and the later offsets.
    const zip = zipOf(files, 1000)
    const entries = readZip(zip)
    for (const f of files) expect(Buffer.from(f.data).equals(entries.get(f.name) as Buffer)).toBe(true)
    expect(zipinfo(zip)).toContain('PKWARE 64-bit sizes')
    const layout = zipLayout(files, 1000)
    expect(layout.zip64End).toBe(true)
    expect(layout.entries.map((e) => [e.zip64Size, e.zip64Offset])).toEqual([
      [false, false],
      [true, false],
      [false, true],
    ])
  })

  it('an archive of no files is the end record alone', () => {
    const zip = zipOf([])
    expect(zip.byteLength).toBe(22)
    expect(zip.readUInt32LE(0)).toBe(0x06054b50)
  })

  it('clamps DOS times to 1980–2107 and rejects sizes that are no byte counts', () => {
    expect(dosDateTime(Date.UTC(1970, 0, 1))).toEqual([0, 33])
    expect(dosDateTime(Date.UTC(2200, 0, 1))[1] >> 9).toBe(127)
    expect(() => zipLayout([{ name: 'x', size: -1, mtime }])).toThrow(RangeError)
    expect(() => zipLayout([{ name: 'x', size: 1.5, mtime }])).toThrow(RangeError)
  })
})
