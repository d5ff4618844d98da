/**
 * On a file system without hard links (link() fails with EPERM, as on some network and FUSE
 * mounts), creating a file still publishes its sidecar only when none exists.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { FileStore } from './file-store.js'
import { fromChunks, makeStore, newFile, rejectsWithCode, tempDir } from './test-support/helpers.js'

const links = vi.hoisted(() => ({ tried: 0 }))
vi.mock('./meta-calls.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./meta-calls.js')>()
  const link = async () => {
    links.tried++
    throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' })
  }
  const inlineCalls = { ...real.inlineCalls, link }
  const threadPoolCalls = { ...real.threadPoolCalls, link }
  return {
    ...real,
    inlineCalls,
    threadPoolCalls,
    metaCalls: (flavour: string) => (flavour === 'inline' ? inlineCalls : threadPoolCalls),
  }
})

let dir: string
let cleanup: () => Promise<void>
let store: FileStore
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  store = await makeStore(dir)
})
afterEach(async () => {
  await cleanup()
})

it('creates, refuses a second create and takes over a leftover data file without hard links', async () => {
  const file = newFile({ uploadLength: 3 })
  await store.create(file)
  expect(links.tried).toBeGreaterThan(0)
  await store.append(file, fromChunks([Buffer.from('abc')]), 0)
  await rejectsWithCode(store.create({ ...file, name: 'other.bin' }), 'INVALID_INPUT')
  expect(await store.info(file)).toMatchObject({ name: 'report.pdf', offset: 3 })

  const leftover = newFile({ uploadLength: 2 })
  await mkdir(path.join(dir, leftover.sid), { recursive: true })
  await writeFile(path.join(dir, leftover.sid, leftover.key), 'old bytes')
  expect(await store.create(leftover)).toMatchObject({ offset: 0 })
  expect(await store.info(leftover)).toMatchObject({ offset: 0 })
  // No temp file left beside the sidecars.
  for (const f of [file, leftover]) {
    expect((await readdir(path.join(dir, f.sid))).sort()).toEqual([f.key, `${f.key}.json`].sort())
  }
})
