import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { FileRef } from '@psitransfer/core'
import { runStoreConformance } from '@psitransfer/core/testing'
import { FileStore } from './file-store.js'
import { tempDir } from './test-support/helpers.js'

let cleanupDir: (() => Promise<void>) | undefined
let root = ''

/** `null` for a missing path (the probe's "nothing persisted"). */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null
    throw err
  }
}

// The probe reads the disk directly ({uploadDir}/{sid}/{key} and its .json sidecar), never the store.
const file = (ref: FileRef, suffix = '') => path.join(root, ref.sid, `${ref.key}${suffix}`)

for (const metadataCalls of ['inline', 'thread-pool'] as const) {
  runStoreConformance({
    name: `FileStore (metadataCalls: ${metadataCalls})`,
    makeStore: async () => {
      const t = await tempDir('psi-fs-conformance-')
      root = t.dir
      cleanupDir = t.cleanup
      return new FileStore({ uploadDir: root, metadataCalls })
    },
    reopen: () => new FileStore({ uploadDir: root, metadataCalls }),
    cleanup: async () => {
      await cleanupDir?.()
    },
    probe: {
      readData: async (ref) => orNull(readFile(file(ref)).then((b) => new Uint8Array(b))),
      readMeta: async (ref) =>
        orNull(readFile(file(ref, '.json'), 'utf8').then((t) => JSON.parse(t) as unknown)),
      dataSize: async (ref) => orNull(stat(file(ref)).then((s) => s.size)),
    },
    // The 1 GiB flat-memory run once: the data path is the same in both flavours.
    bigFileBytes: metadataCalls === 'inline' ? 1024 * 1024 * 1024 : 64 * 1024 * 1024,
  })
}
