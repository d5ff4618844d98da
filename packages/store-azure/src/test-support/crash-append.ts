/**
 * Child process of crash.test.ts: appends pattern bytes to an existing upload in appends of
 * `per` bytes, each sent as `chunk`-sized pieces with a pause, and prints `handed <n>` after
 * every piece and `acked <offset>` after every append that returned, until it is killed.
 * argv: <store options JSON> <sid> <key> <seed> <total> <per append> <chunk> <pause ms>
 */
import type { BucketId, FileId } from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { AzureStore } from '../azure-store.js'

const [options, sid, key, seed, total, per, chunk, pause] = process.argv.slice(2).map(String)
const store = new AzureStore(JSON.parse(options as string))
const ref = { sid: sid as BucketId, key: key as FileId }
let handed = 0

async function* body(from: number, to: number): AsyncGenerator<Uint8Array> {
  for (let at = from; at < to; at += Number(chunk)) {
    const n = Math.min(Number(chunk), to - at)
    yield patternBytes(Number(seed), at, n)
    handed = at + n
    process.stdout.write(`handed ${handed}\n`)
    await new Promise((r) => setTimeout(r, Number(pause)))
  }
}

let offset = 0
while (offset < Number(total)) {
  offset = await store.append(ref, body(offset, Math.min(Number(total), offset + Number(per))), offset)
  process.stdout.write(`acked ${offset}\n`)
}
process.stdout.write('done\n')
