// psitransfer-decrypt: decrypts a PSIE2E v1 file (docs/encryption.md) from a file, stdin or its
// download link, as a stream in constant memory. The one module of this package that uses Node.
import { once } from 'node:events'
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { chunksOf } from './bytes.js'
import { type ByteSource, decrypt, E2EError, keyFromLink, linkWithoutKey, openMetadata } from './index.js'
import { decodeKey } from './keys.js'

const USAGE = `Usage: psitransfer-decrypt [options] <link | key> [file]

Decrypts a file that PsiTransfer encrypted end to end (format PSIE2E v1), as a stream: the
plaintext is written as it is authenticated, in constant memory.

Arguments:
  link | key   the download link with the key in its fragment ('https://host/files/…#k=…';
               quote it in the shell), or the key alone (43 base64url characters, or k=…)
  file         the encrypted file, or - for stdin. Without it, a link's file is downloaded
               (the fragment, and so the key, is never sent)

Options:
  -o, --output FILE    write the plaintext to FILE (via FILE.part, renamed once the whole file
                       is authenticated; removed on error). Default: standard output
  -f, --force          overwrite FILE; write to standard output even if it is a terminal
  -m, --metadata BLOB  decrypt a metadata blob (name, type, comment) and print it as JSON
  -h, --help           this text
  -v, --version        the version

Exit status: 0 decrypted and authenticated; 1 the data is not intact, the key is wrong or the
download failed (what was written before is authentic but incomplete); 2 usage errors.

Examples:
  psitransfer-decrypt 'https://psi.example/files/a1b2++c3d4#k=q3xZ…' -o report.pdf
  curl -s 'https://psi.example/files/a1b2++c3d4' | psitransfer-decrypt 'k=q3xZ…' - > report.pdf
`

class UsageError extends Error {}

interface Args {
  target?: string
  file?: string
  output?: string
  metadata?: string
  force: boolean
  help: boolean
  version: boolean
}

/** A bare key: base64url may start with '-' (one key in 64), which is no option. */
const BARE_KEY = /^[A-Za-z0-9_-]{43}$/

function parseArgs(argv: string[]): Args {
  const args: Args = { force: false, help: false, version: false }
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${a} needs a value`)
      return v
    }
    if (a === '-h' || a === '--help') args.help = true
    else if (a === '-v' || a === '--version') args.version = true
    else if (a === '-f' || a === '--force') args.force = true
    else if (a === '-o' || a === '--output') args.output = value()
    else if (a.startsWith('--output=')) args.output = a.slice(9)
    else if (a === '-m' || a === '--metadata') args.metadata = value()
    else if (a.startsWith('--metadata=')) args.metadata = a.slice(11)
    else if (a === '--') {
      positional.push(...argv.slice(i + 1))
      break
    } else if (a.startsWith('-') && a !== '-' && !BARE_KEY.test(a)) {
      throw new UsageError(`unknown option ${a}`)
    } else positional.push(a)
  }
  if (positional.length > 2) throw new UsageError(`unexpected argument ${JSON.stringify(positional[2])}`)
  ;[args.target, args.file] = positional
  return args
}

/** The key from a link, `k=…`, or bare base64url. */
function parseKey(target: string): { key: Uint8Array; url: string | null } {
  if (/^https?:\/\//i.test(target)) {
    let key: Uint8Array | null
    try {
      key = keyFromLink(target)
    } catch (err) {
      throw new UsageError(`the key in the link is malformed: ${(err as Error).message}`)
    }
    if (!key) throw new UsageError('the link has no key: its fragment must hold #k=… (copy the whole link)')
    return { key, url: linkWithoutKey(target) }
  }
  const text = target.startsWith('#') ? target.slice(1) : target
  try {
    const key = text.startsWith('k=') ? keyFromLink(text) : decodeKey(text)
    return { key: key!, url: null }
  } catch (err) {
    throw new UsageError(
      `${JSON.stringify(target.slice(0, 60))} is neither a link nor a key: ${(err as Error).message}`,
    )
  }
}

async function download(url: string): Promise<{ body: ByteSource; size?: number }> {
  let res: Response
  try {
    res = await fetch(url, { redirect: 'follow' })
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message
    throw new Error(`download failed: ${cause ?? (err as Error).message}`)
  }
  if (!res.ok || !res.body) {
    const text = (await res.text().catch(() => '')).trim().slice(0, 200)
    throw new Error(`download failed: HTTP ${res.status}${text ? ` ${text}` : ''}`)
  }
  const length = res.headers.get('content-length')
  const encoded = res.headers.get('content-encoding')
  const size = length && !encoded ? Number(length) : undefined
  const body = res.body
  // A connection that breaks mid-body says "terminated"; name what it interrupted.
  async function* interruptible() {
    try {
      yield* chunksOf(body)
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message
      throw new Error(`download interrupted: ${cause ?? (err as Error).message}`)
    }
  }
  return { body: interruptible(), ...(size !== undefined && Number.isSafeInteger(size) ? { size } : {}) }
}

/** Writes with backpressure; a write error (EPIPE, disk full) stops the decryption. */
async function writeAll(chunks: AsyncIterable<Uint8Array>, out: Writable): Promise<void> {
  let failed: Error | null = null
  const onError = (err: Error) => {
    failed = err
  }
  out.on('error', onError)
  try {
    for await (const chunk of chunks) {
      if (failed) throw failed
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'close')])
    }
    if (failed) throw failed
  } finally {
    out.off('error', onError)
  }
}

async function run(args: Args, stdout: Writable, stderr: Writable): Promise<number> {
  if (args.help) {
    stdout.write(USAGE)
    return 0
  }
  if (args.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    stdout.write(`${pkg.version}\n`)
    return 0
  }
  if (!args.target) throw new UsageError('give the link (or the key)')
  const { key, url } = parseKey(args.target)
  if (args.metadata !== undefined) {
    if (args.file || args.output) throw new UsageError('--metadata takes no file and no --output')
    const { fields } = await openMetadata(key, args.metadata)
    stdout.write(`${JSON.stringify(fields, null, 2)}\n`)
    return 0
  }
  if (!args.file && !url)
    throw new UsageError('give the encrypted file (or - for stdin), or a link to download it')
  if (!args.output && !args.force && (stdout as { isTTY?: boolean }).isTTY)
    throw new UsageError('refusing to write binary data to a terminal: use -o FILE, redirect, or --force')
  if (args.output && !args.force && existsSync(args.output))
    throw new UsageError(`${args.output} exists (use --force to overwrite it)`)

  let source: ByteSource
  let expectedSize: number | undefined
  if (args.file === '-') source = process.stdin
  else if (args.file) {
    if (!existsSync(args.file)) throw new UsageError(`${args.file}: no such file`)
    source = createReadStream(args.file)
  } else {
    const got = await download(url!)
    source = got.body
    expectedSize = got.size
  }
  const plaintext = decrypt(key, source, expectedSize === undefined ? {} : { expectedSize })

  if (!args.output) {
    await writeAll(plaintext, stdout)
    return 0
  }
  const part = `${args.output}.part`
  const out = createWriteStream(part)
  try {
    await once(out, 'open')
    await writeAll(plaintext, out)
    out.end()
    await once(out, 'finish')
    await rename(part, args.output)
  } catch (err) {
    out.destroy()
    await unlink(part).catch(() => {})
    throw err
  }
  stderr.write(`psitransfer-decrypt: wrote ${args.output}\n`)
  return 0
}

/** Runs the CLI; returns the exit status. Errors are reported on stderr, never thrown. */
export async function main(
  argv: string[],
  stdout: Writable = process.stdout,
  stderr: Writable = process.stderr,
): Promise<number> {
  try {
    return await run(parseArgs(argv), stdout, stderr)
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`psitransfer-decrypt: ${err.message}\n(psitransfer-decrypt --help for usage)\n`)
      return 2
    }
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0 // the reader went away (| head)
    const what = err instanceof E2EError ? `${err.message} [${err.code}]` : (err as Error).message
    stderr.write(`psitransfer-decrypt: ${what}\n`)
    return 1
  }
}
