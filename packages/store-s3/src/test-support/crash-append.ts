/**
 * Child process for the SIGKILL test: appends pattern bytes to an existing upload and prints
 * `sent <bytes>` after each chunk, until it is killed.
 * argv: <store options JSON> <sid> <key> <seed> <from> <to> <chunk bytes> <pause ms> <clock skew ms>
 * (a killed predecessor's lock is waited for: its expiry is judged on S3's clock, whatever the skew)
 */
import type { BucketId, FileId } from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { S3Store } from '../s3-store.js'

const [options, sid, key, seed, from, to, chunk, pause, skew] = process.argv.slice(2)
const store = new S3Store(JSON.parse(options as string), { now: () => Date.now() + Number(skew ?? 0) })
const ref = { sid: sid as BucketId, key: key as FileId }
let sent = Number(from)

async function* body(): AsyncGenerator<Uint8Array> {
  while (sent < Number(to)) {
    const n = Math.min(Number(chunk), Number(to) - sent)
    const bytes = patternBytes(Number(seed), sent, n)
    yield bytes
    sent += n
    process.stdout.write(`sent ${sent}\n`)
    await new Promise((r) => setTimeout(r, Number(pause)))
  }
}

// A killed predecessor's lock expires after the TTL as S3's clock tells it (a skewed local clock
// no longer shortens that): wait for it as a resuming client would, retrying while it is held.
for (const until = Date.now() + 30_000; ; ) {
  try {
    await store.append(ref, body(), Number(from))
    break
  } catch (err) {
    const locked = (err as { code?: string }).code === 'UPLOAD_LOCKED' && sent === Number(from)
    if (!locked || Date.now() > until) throw err
    await new Promise((r) => setTimeout(r, 250))
  }
}
process.stdout.write('done\n')
