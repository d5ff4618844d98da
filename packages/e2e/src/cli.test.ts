// psitransfer-decrypt as a child process (the built bin; vitest's globalSetup builds dist first):
// the test vectors from a file, from stdin and downloaded from a local HTTP server; the errors.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeKey, generateKey, recordOffset } from './index.js'
import { diff, fileVectors, metadataVectors } from './test-support/vectors.js'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(pkg, 'bin', 'psitransfer-decrypt.js')
let dir: string
let server: Server
let base: string
const requests: string[] = []
const served = new Map<string, Uint8Array>()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'psi-e2e-cli-'))
  server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const body = served.get(req.url ?? '')
    if (req.url === '/files/s1++broken') {
      // Promises more than it sends, then drops the connection.
      const v = fileVectors.at(-1)!
      res.writeHead(200, { 'content-length': v.ciphertext.length })
      // Closed once the bytes reached the kernel (a timer could drop bytes still queued in Node).
      res.write(v.ciphertext.subarray(0, 100_000), () => res.socket?.end())
      return
    }
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"File not found or expired"}')
      return
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' })
    // In pieces, so the client sees a stream and not one buffer.
    for (let at = 0; at < body.length; at += 50_000) res.write(body.subarray(at, at + 50_000))
    res.end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}, 120_000)

afterAll(async () => {
  await new Promise((r) => server?.close(r))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Result {
  code: number | null
  stdout: Buffer
  stderr: string
}

function run(args: string[], stdin?: Uint8Array): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }))
    child.stdin.end(stdin ?? new Uint8Array(0))
  })
}

const k = (key: Uint8Array) => encodeKey(key)

describe('psitransfer-decrypt', () => {
  it('--help and --version', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout.toString()).toMatch(/^Usage: psitransfer-decrypt/)
    const version = await run(['--version'])
    expect(version.stdout.toString().trim()).toBe(
      JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version,
    )
  })

  it.each(fileVectors)('vector "$name": file to -o FILE, and stdin to stdout', async (v) => {
    const input = join(dir, `${v.name}.enc`)
    writeFileSync(input, v.ciphertext)
    const out = join(dir, `${v.name}.out`)
    const r = await run([k(v.key), input, '-o', out])
    expect(r.stderr).toMatch(/wrote/)
    expect(r.code).toBe(0)
    expect(diff(readFileSync(out), v.plaintext)).toBe('equal')
    expect(existsSync(`${out}.part`)).toBe(false)
    const piped = await run([`k=${k(v.key)}`, '-'], v.ciphertext)
    expect(piped.code).toBe(0)
    expect(diff(piped.stdout, v.plaintext)).toBe('equal')
  })

  it.each(metadataVectors)('metadata vector "$name": --metadata prints the fields', async (v) => {
    const r = await run([`#k=${k(v.key)}`, '--metadata', v.blob])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.toString())).toEqual(v.fields)
  })

  it('downloads from the link, never sending the key', async () => {
    const v = fileVectors.at(-1)!
    served.set('/files/s1++f1?token=t', v.ciphertext)
    const out = join(dir, 'downloaded')
    const r = await run([`${base}/files/s1++f1?token=t#k=${k(v.key)}`, '-o', out])
    expect(r.code, r.stderr).toBe(0)
    expect(diff(readFileSync(out), v.plaintext)).toBe('equal')
    expect(requests).toContain('/files/s1++f1?token=t')
    expect(requests.join(' ')).not.toContain(k(v.key))
  })

  it('a download cut at a record boundary: exit 1, truncated, no output file left', async () => {
    const v = fileVectors.at(-1)!
    served.set('/files/s1++cut', v.ciphertext.subarray(0, recordOffset(2)))
    const out = join(dir, 'cut')
    const r = await run([`${base}/files/s1++cut#k=${k(v.key)}`, '-o', out])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/ends after record 1, which is not its last record \[truncated\]/)
    expect(existsSync(out) || existsSync(`${out}.part`)).toBe(false)
  })

  it('a modified record: exit 1 naming the record; a wrong key: exit 1, wrong key', async () => {
    const v = fileVectors.at(-1)!
    const bad = v.ciphertext.slice()
    bad[recordOffset(1) + 5]! ^= 4
    const modified = await run([k(v.key), '-'], bad)
    expect(modified.code).toBe(1)
    expect(modified.stderr).toMatch(/record 1 cannot be authenticated.*\[modified\]/)
    expect(modified.stdout.length).toBe(65536) // record 0 was authentic and written
    const wrong = await run([k(generateKey()), '-'], v.ciphertext)
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/wrong key/)
    expect(wrong.stdout.length).toBe(0)
  })

  it('not our format, HTTP errors, unreachable servers: exit 1 with the reason', async () => {
    const plain = await run(
      [k(generateKey()), '-'],
      new TextEncoder().encode('just a text file, not encrypted'),
    )
    expect(plain.code).toBe(1)
    expect(plain.stderr).toMatch(/not an encrypted PsiTransfer file .*\[format\]/)
    const missing = await run([`${base}/files/s1++gone#k=${k(generateKey())}`])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/download failed: HTTP 404 .*File not found/)
    const broken = await run([`${base}/files/s1++broken#k=${k(fileVectors.at(-1)!.key)}`])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toMatch(/download interrupted/)
    // Only whole authenticated records: record 0 if it was read before the error (an errored fetch
    // body drops the chunks still queued in it, so under load it may not be).
    expect([0, 65536]).toContain(broken.stdout.length)
    const down = await run([`http://127.0.0.1:1/files/x#k=${k(generateKey())}`])
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/download failed/)
  })

  it('usage errors: exit 2 with a hint', async () => {
    const cases: [string[], RegExp][] = [
      [[], /give the link/],
      [['https://h/files/a++b'], /no key/],
      [['--bogus'], /unknown option --bogus/],
      [[k(generateKey())], /give the encrypted file/],
      [['not-a-key', '-'], /neither a link nor a key.*43 base64url characters/],
      [['https://h/f#k=abc'], /the key in the link is malformed/],
      [[k(generateKey()), join(dir, 'nope.enc')], /no such file/],
      [[k(generateKey()), '-', '-o', join(dir, 'downloaded')], /exists.*--force/],
      // A key starting with '-' is a key, not an option (one random key in 64 does).
      [[`-${k(generateKey()).slice(1)}`], /give the encrypted file/],
    ]
    for (const [args, message] of cases) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).toMatch(/--help/)
    }
  })
})
