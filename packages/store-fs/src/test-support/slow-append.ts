/**
 * Child process of crash.test.ts: appends `total` pattern bytes to an existing upload in
 * `chunk`-sized pieces, pausing between them, and prints the running count of bytes handed
 * to the store. The test kills it with SIGKILL midway.
 * Usage: node --import <repo>/scripts/ts/loader.mjs slow-append.ts DIR SID KEY SEED TOTAL CHUNK PAUSE_MS
 */
import type { FileRef } from '@psitransfer/core'
import { FileStore } from '../file-store.js'
import { patternSlice } from './helpers.js'

const [dir, sid, key, seedArg, totalArg, chunkArg, pauseArg] = process.argv.slice(2)
if (!dir || !sid || !key) throw new Error('usage: slow-append.ts DIR SID KEY SEED TOTAL CHUNK PAUSE_MS')
const seed = Number(seedArg)
const total = Number(totalArg)
const chunk = Number(chunkArg)
const pauseMs = Number(pauseArg)

async function* source(): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < total; at += chunk) {
    const n = Math.min(chunk, total - at)
    yield patternSlice(seed, at, n)
    process.stdout.write(`${at + n}\n`)
    await new Promise((r) => setTimeout(r, pauseMs))
  }
}

const store = new FileStore({ uploadDir: dir })
const offset = await store.append({ sid, key } as FileRef, source(), 0)
process.stdout.write(`done ${offset}\n`)
