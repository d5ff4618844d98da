/**
 * Child process of crash.test.ts: the server as main.ts wires it (registry, the store's own
 * locker), on a store wrapped so that it kills its own process with SIGKILL at one chosen point
 * of an upload's completion path (or of a PATCH), like a crash would.
 * argv: <config JSON> <kill JSON | "none">
 * kill: { point, length, delayMs?, nth? } where point is
 *   after-last-append  the append that reached `length` returned (bytes durable, not completed)
 *   before-complete    complete() was about to run
 *   in-complete        `delayMs` after complete() started (somewhere inside it)
 *   after-complete     complete() returned, the onComplete hooks have not run
 *   after-update       the hooks' metadata update (retention expiry) returned
 *   mid-patch          the `nth` append started (the PATCH holds the upload's lock)
 * Prints `listening <port>` once it serves.
 */
import type { Store } from '@psitransfer/core'
import { systemClock } from '@psitransfer/core'
import { parseConfig } from '../config.js'
import { silentLogger } from '../logger.js'
import { startServer } from '../server.js'
import { lockerFor, registryFor } from '../stores.js'
import { isBucketMark } from '../upload/bucket-ids.js'

interface Kill {
  point: string
  length: number
  delayMs?: number
  nth?: number
}

const [configJson, killJson] = process.argv.slice(2)
const config = parseConfig({ accessLog: false, webRoot: null, ...JSON.parse(configJson as string) })
const kill: Kill | null = killJson && killJson !== 'none' ? (JSON.parse(killJson) as Kill) : null

function die(): never {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable')
}

/** The store, with the kill point armed. */
function armed(inner: Store, k: Kill): Store {
  let appends = 0
  const wrap: Partial<Store> = {
    append: async (ref, data, offset, options) => {
      appends++
      if (k.point === 'mid-patch' && appends === k.nth) setTimeout(die, k.delayMs ?? 0)
      const end = await inner.append(ref, data, offset, options)
      if (k.point === 'after-last-append' && end === k.length) die()
      return end
    },
    complete: async (ref) => {
      // A bucket's first creation completes its id mark (upload/bucket-ids.ts): not the upload.
      if (isBucketMark(ref)) return inner.complete(ref)
      if (k.point === 'before-complete') die()
      if (k.point === 'in-complete') setTimeout(die, k.delayMs ?? 0)
      const meta = await inner.complete(ref)
      if (k.point === 'after-complete') die()
      return meta
    },
    update: async (ref, patch) => {
      const meta = await inner.update(ref, patch)
      if (k.point === 'after-update' && 'expiresAt' in patch) die()
      return meta
    },
  }
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const own = (wrap as Record<PropertyKey, unknown>)[prop]
      if (own) return own
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

const registry = await registryFor(config.storage.type)
const inner = await registry.create(config.storage, { uploadDir: config.uploadDir, logger: silentLogger })
await inner.init()
const locker = await lockerFor(config.storage.type, inner)
const store = kill ? armed(inner, kill) : inner
const running = await startServer({ config, store, locker, clock: systemClock })
process.stdout.write(`listening ${running.port}\n`)
