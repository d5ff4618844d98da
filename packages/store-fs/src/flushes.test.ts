/**
 * What `on-complete` flushes, observed at the syscall wrappers: before `complete()` returns,
 * the data, the sidecar that is current then and the bucket directory are on disk. The
 * sidecar and directory flush starts in the background at creation; a sidecar replaced after
 * that is flushed again by `complete()`.
 */
import { existsSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FileStore } from './file-store.js'
import { makeStore, newFile, patternChunks, tempDir } from './test-support/helpers.js'

/** Paths flushed (fdatasync / fsync), in order. */
const flushed = vi.hoisted(() => [] as string[])
vi.mock('./meta-calls.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./meta-calls.js')>()
  const record = (fd: number) => {
    try {
      flushed.push(readlinkSync(`/proc/self/fd/${fd}`))
    } catch {
      flushed.push(`fd ${fd}`)
    }
  }
  return {
    ...real,
    fdatasync: (fd: number) => {
      record(fd)
      return real.fdatasync(fd)
    },
    fsync: (fd: number) => {
      record(fd)
      return real.fsync(fd)
    },
  }
})

const linux = existsSync('/proc/self/fd')

describe.skipIf(!linux)('on-complete flushes (needs /proc/self/fd to name flushed descriptors)', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let store: FileStore

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    store = await makeStore(dir, { fsync: 'on-complete' })
  })
  afterAll(async () => {
    await store.close()
    await cleanup()
  })

  const pathsOf = (file: ReturnType<typeof newFile>) => {
    const bucket = path.join(dir, file.sid)
    return { bucket, sidecar: path.join(bucket, `${file.key}.json`) }
  }

  it('flushes a new sidecar and its directory in the background, so complete() does not wait for them', async () => {
    const file = newFile({ uploadLength: 1000 })
    const { bucket, sidecar } = pathsOf(file)
    flushed.length = 0
    await store.create(file)
    await vi.waitFor(() => expect(flushed).toEqual(expect.arrayContaining([sidecar, bucket])))
    expect(await store.append(file, patternChunks(1, 0, 1000, 256), 0)).toBe(1000)
    flushed.length = 0
    expect((await store.complete(file)).complete).toBe(true)
    // The data was flushed by the last append; sidecar and directory at creation.
    expect(flushed).toEqual([])
  })

  it('flushes a sidecar replaced after creation again before reporting the file complete', async () => {
    const file = newFile({ uploadLength: 1000 })
    const { bucket, sidecar } = pathsOf(file)
    await store.create(file)
    await vi.waitFor(() => expect(flushed).toEqual(expect.arrayContaining([sidecar, bucket])))
    await store.update(file, { name: 'renamed.pdf' })
    expect(await store.append(file, patternChunks(2, 0, 1000, 256), 0)).toBe(1000)
    flushed.length = 0
    const done = await store.complete(file)
    expect(done.complete).toBe(true)
    expect(done.name).toBe('renamed.pdf')
    expect(flushed).toEqual(expect.arrayContaining([sidecar, bucket]))
  })
})
