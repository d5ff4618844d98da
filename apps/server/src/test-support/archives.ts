/**
 * Unpacks archives for assertions: tar.gz in process (gunzip + ustar/pax headers), zip with
 * the system `unzip` (a real consumer, as users would open it).
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { gunzipSync } from 'node:zlib'

export type Entries = Map<string, Buffer>

export function readTarGz(data: Uint8Array): Entries {
  const tar = gunzipSync(data)
  const out: Entries = new Map()
  let pos = 0
  let paxPath: string | undefined
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512)
    if (header.every((b) => b === 0)) break
    const field = (start: number, len: number) =>
      header
        .subarray(start, start + len)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)
    const body = tar.subarray(pos + 512, pos + 512 + size)
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))
      paxPath = m?.[1]
    } else if (type === '0' || type === '') {
      out.set(paxPath ?? name, Buffer.from(body))
      paxPath = undefined
    }
    pos += 512 + Math.ceil(size / 512) * 512
  }
  return out
}

export function readZip(data: Uint8Array): Entries {
  const dir = mkdtempSync(join(tmpdir(), 'psi-zip-'))
  try {
    const file = join(dir, 'a.zip')
    writeFileSync(file, data)
    execFileSync('unzip', ['-q', file, '-d', join(dir, 'x')])
    const out: Entries = new Map()
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name)
        if (statSync(p).isDirectory()) walk(p)
        else out.set(relative(join(dir, 'x'), p), readFileSync(p))
      }
    }
    walk(join(dir, 'x'))
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
