import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readTarGz } from '../test-support/archives.js'
import { paxRecord, TAR_END, type TarEntry, tarHeader, tarPadding } from './tar.js'

const dir = mkdtempSync(join(tmpdir(), 'psi-tar-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A whole tar of `files`, as the tar.gz job lays it out (uncompressed). */
function tarOf(files: Array<TarEntry & { data: Uint8Array }>, octalSizeMax?: number): Buffer {
  const parts: Uint8Array[] = []
  for (const f of files) parts.push(tarHeader(f, octalSizeMax), f.data, new Uint8Array(tarPadding(f.size)))
  parts.push(TAR_END)
  return Buffer.concat(parts)
}

/** `tar -tv` of the archive: what GNU tar reads from the headers. */
function gnuList(tar: Uint8Array): string {
  const file = join(dir, `list-${Math.random()}.tar`)
  writeFileSync(file, tar)
  return execFileSync('tar', ['--utc', '-tvf', file], { encoding: 'utf8' })
}

const mtime = Date.UTC(2026, 11, 3, 12, 34, 56)
const long = `${'deep/'.repeat(30)}${'n'.repeat(120)}.txt`
const files = [
  { name: 'a.txt', size: 11, mtime, data: new TextEncoder().encode('hello world') },
  { name: 'Übersicht/grüße 🎉.bin', size: 1000, mtime, data: new Uint8Array(1000).map((_, i) => i * 7) },
  { name: long, size: 512, mtime, data: new Uint8Array(512).fill(65) },
  { name: 'empty', size: 0, mtime, data: new Uint8Array(0) },
]

describe('tar records', () => {
  it('GNU tar extracts every file byte for byte, with UTF-8 and long names from pax headers', () => {
    const file = join(dir, 'all.tar')
    writeFileSync(file, tarOf(files))
    const out = join(dir, 'x')
    execFileSync('mkdir', ['-p', out])
    execFileSync('tar', ['-xf', file, '-C', out])
    for (const f of files)
      expect(Buffer.from(readFileSync(join(out, f.name))).equals(Buffer.from(f.data))).toBe(true)
    const listing = gnuList(tarOf(files))
    expect(listing).toContain('-rw-r--r-- 0/0              11 2026-12-03 12:34 a.txt')
    expect(listing).toContain('Übersicht/grüße 🎉.bin')
  })

  it('headers alone stay ustar; a pax header comes only where needed', () => {
    expect(tarHeader(files[0] as TarEntry).byteLength).toBe(512)
    expect(tarHeader({ name: 'x'.repeat(100), size: 1, mtime }).byteLength).toBe(512)
    expect(tarHeader({ name: 'x'.repeat(101), size: 1, mtime }).byteLength).toBe(1536)
    expect(tarHeader(files[1] as TarEntry).byteLength).toBe(1536)
  })

  it('sizes past the octal field go into pax (and base-256), as tar reads them', () => {
    // A lowered limit stands in for 8 GiB: the 70,001-byte entry needs the pax size.
    const data = new Uint8Array(70_001).map((_, i) => i % 251)
    const tar = tarOf([{ name: 'big.bin', size: data.byteLength, mtime, data }], 65_535)
    expect(gnuList(tar)).toContain(' 70001 2026-12-03 12:34 big.bin')
    // The real limit: a 10 GiB header is listed with its size (the data is missing, so tar
    // stops with an error after listing it).
    const header = Buffer.concat([tarHeader({ name: 'huge.bin', size: 10 * 2 ** 30, mtime }), TAR_END])
    const file = join(dir, 'huge.tar')
    writeFileSync(file, header)
    let listed = ''
    try {
      listed = execFileSync('tar', ['--utc', '-tvf', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
    } catch (err) {
      listed = String((err as { stdout?: string }).stdout)
    }
    expect(listed).toContain(` ${10 * 2 ** 30} 2026-12-03 12:34 huge.bin`)
  })

  it('pax record lengths count their own digits', () => {
    for (const value of ['', 'a', 'x'.repeat(85), 'x'.repeat(86), 'x'.repeat(994), 'ü'.repeat(400)]) {
      const record = paxRecord('path', value)
      const length = Number(record.split(' ')[0])
      expect(new TextEncoder().encode(record).byteLength).toBe(length)
    }
  })

  it('the test reader used elsewhere agrees', async () => {
    const { gzipSync } = await import('node:zlib')
    const entries = readTarGz(gzipSync(tarOf(files)))
    for (const f of files)
      expect(Buffer.from(entries.get(f.name) as Uint8Array).equals(Buffer.from(f.data))).toBe(true)
  })
})
