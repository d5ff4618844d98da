/** Minimal readers for the server's archives, so the e2e can compare bytes without extra dependencies. */
import { gunzipSync, inflateRawSync } from 'node:zlib'

/** Entries of a zip file (central directory; stored or deflated, no zip64 needed for our sizes). */
export function readZip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (eocd < 0) throw new Error('not a zip: no end of central directory')
  const count = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  const out = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry')
    const method = buf.readUInt16LE(p + 10)
    const compressed = buf.readUInt32LE(p + 20)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const local = buf.readUInt32LE(p + 42)
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    p += 46 + nameLen + extraLen + commentLen
    if (name.endsWith('/')) continue // directory entry
    const lNameLen = buf.readUInt16LE(local + 26)
    const lExtraLen = buf.readUInt16LE(local + 28)
    const start = local + 30 + lNameLen + lExtraLen
    const data = buf.subarray(start, start + compressed)
    if (method === 0) out.set(name, Buffer.from(data))
    else if (method === 8) out.set(name, inflateRawSync(data))
    else throw new Error(`zip method ${method} not supported`)
  }
  return out
}

/** Entries of a .tar.gz (ustar, with GNU/PAX long names). */
export function readTarGz(buf: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(buf)
  const out = new Map<string, Buffer>()
  let p = 0
  let longName: string | null = null
  while (p + 512 <= tar.length) {
    const header = tar.subarray(p, p + 512)
    if (header.every((b) => b === 0)) break
    const str = (o: number, n: number) =>
      header
        .subarray(o, o + n)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = Number.parseInt(str(124, 12).trim() || '0', 8)
    const type = String.fromCharCode(header[156] ?? 48)
    const prefix = str(345, 155)
    let name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100)
    const body = tar.subarray(p + 512, p + 512 + size)
    p += 512 + Math.ceil(size / 512) * 512
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '')
      continue
    }
    if (type === 'x') {
      const path = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))
      if (path) longName = path[1] ?? null
      continue
    }
    if (longName) {
      name = longName
      longName = null
    }
    if (type === '0' || type === '\0') out.set(name, Buffer.from(body))
  }
  return out
}
