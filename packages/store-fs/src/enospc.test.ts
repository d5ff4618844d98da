/**
 * A full disk (ENOSPC) gives STORAGE_FULL, the upload stays resumable at the real on-disk
 * offset, and it completes once space is freed. Tested on a real tiny tmpfs (we mount one when
 * we can: root on Linux); only where mounting is impossible is the error injected instead.
 * A read-only file system (EROFS) gives a clear STORE_MISCONFIGURED without paths.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { type PsiError, StorageFullError } from '@psitransfer/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FileStore } from './file-store.js'
import { collect, newFile, patternChunks, patternSlice, rejectsWithCode } from './test-support/helpers.js'

const run = promisify(execFile)
const KiB = 1024
const MiB = 1024 * KiB

/** Fault injection for the fallback only: a byte budget for data writes, then ENOSPC. */
const inject = vi.hoisted(() => ({ budget: null as number | null }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>()
  const open: typeof real.open = async (...args) => {
    const fh = await real.open(...args)
    if (inject.budget === null) return fh
    const write = fh.write.bind(fh) as (
      b: Uint8Array,
      o: number,
      l: number,
      p: number,
    ) => ReturnType<typeof fh.write>
    Object.assign(fh, {
      write: async (buf: Uint8Array, off: number, len: number, pos: number) => {
        if (inject.budget === null) return write(buf, off, len, pos)
        if (inject.budget <= 0) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
            code: 'ENOSPC',
            errno: -28,
          })
        }
        const n = Math.min(len, inject.budget)
        inject.budget -= n
        return write(buf, off, n, pos)
      },
    })
    return fh
  }
  return { ...real, open }
})

async function mountTmpfs(options: string): Promise<{ dir: string; unmount: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'psi-fs-tmpfs-'))
  try {
    await run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir])
  } catch (err) {
    await rmdir(dir).catch(() => {})
    throw err
  }
  return {
    dir,
    unmount: async () => {
      await run('umount', [dir])
      await rmdir(dir)
    },
  }
}

/** `null` when a tmpfs can be mounted here, else why not. */
async function tmpfsUnavailable(): Promise<string | null> {
  if (process.env.PSI_TEST_NO_TMPFS) return 'disabled by PSI_TEST_NO_TMPFS'
  if (process.platform !== 'linux') return `tmpfs needs Linux, this is ${process.platform}`
  try {
    const m = await mountTmpfs('size=64k')
    await m.unmount()
    return null
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}`
  }
}

const unavailable = await tmpfsUnavailable()

async function fillUp(file: string): Promise<void> {
  const block = Buffer.alloc(64 * KiB, 1)
  const { open } = await import('node:fs/promises')
  const fh = await open(file, 'a')
  try {
    for (;;) await fh.write(block)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err
  } finally {
    await fh.close()
  }
}

describe.runIf(unavailable === null)('on a real 2 MiB tmpfs', () => {
  let mnt: Awaited<ReturnType<typeof mountTmpfs>>
  let uploadDir: string
  beforeAll(async () => {
    mnt = await mountTmpfs('size=2m')
    uploadDir = path.join(mnt.dir, 'data')
  })
  afterAll(async () => {
    await mnt?.unmount()
  })

  it('ENOSPC during append → STORAGE_FULL at the real offset; resumes after space is freed', async () => {
    const store = new FileStore({ uploadDir })
    await store.init()
    const filler = path.join(mnt.dir, 'filler')
    await writeFile(filler, Buffer.alloc(1536 * KiB, 7))
    const total = MiB
    const file = newFile({ uploadLength: total })
    await store.create(file)

    const err = (await rejectsWithCode(
      store.append(file, patternChunks(9, 0, total, 64 * KiB), 0),
      'STORAGE_FULL',
    )) as PsiError
    expect(err).toBeInstanceOf(StorageFullError)
    expect(err.status).toBe(507)
    expect(err.message).not.toContain(mnt.dir)
    const onDisk = (await stat(path.join(uploadDir, file.sid, file.key))).size
    expect(err.details).toEqual({ offset: onDisk })
    const info = await store.info(file)
    expect(info.offset).toBe(onDisk)
    expect(onDisk).toBeGreaterThan(0)
    expect(onDisk).toBeLessThan(total)
    expect(
      (await readFile(path.join(uploadDir, file.sid, file.key))).equals(patternSlice(9, 0, onDisk)),
    ).toBe(true)

    await rm(filler)
    expect(await store.append(file, patternChunks(9, onDisk, total, 64 * KiB), onDisk)).toBe(total)
    expect((await store.complete(file)).complete).toBe(true)
    expect((await collect(await store.read(file))).equals(patternSlice(9, 0, total))).toBe(true)
    await store.delete(file)
  })

  it('a full disk fails create and update cleanly (no orphans, old sidecar intact)', async () => {
    const store = new FileStore({ uploadDir })
    await store.init()
    const kept = newFile({ comment: 'before', uploadLength: 0 })
    await store.create(kept)
    const filler = path.join(mnt.dir, 'filler')
    await fillUp(filler)
    try {
      const file = newFile()
      await rejectsWithCode(store.create(file), 'STORAGE_FULL')
      expect(await readdir(uploadDir)).toEqual([kept.sid])
      await rejectsWithCode(store.update(kept, { comment: 'after' }), 'STORAGE_FULL')
      expect((await store.info(kept)).comment).toBe('before')
      expect((await readdir(path.join(uploadDir, kept.sid))).sort()).toEqual(
        [kept.key, `${kept.key}.json`].sort(),
      )
    } finally {
      await rm(filler)
    }
    expect((await store.update(kept, { comment: 'after' })).comment).toBe('after')
    await store.delete(kept)
  })

  it('a read-only file system → STORE_MISCONFIGURED (no path for clients; init names it)', async () => {
    const store = new FileStore({ uploadDir })
    await store.init()
    const file = newFile({ uploadLength: 10 })
    await store.create(file)
    await run('mount', ['-o', 'remount,ro', mnt.dir])
    try {
      const err = await rejectsWithCode(
        store.append(file, patternChunks(1, 0, 10, 10), 0),
        'STORE_MISCONFIGURED',
      )
      expect(err.message).not.toContain(mnt.dir)
      expect(err.message).toMatch(/not writable/)
      await rejectsWithCode(store.create(newFile()), 'STORE_MISCONFIGURED')
      expect((await store.info(file)).offset).toBe(0)
      const initErr = await rejectsWithCode(new FileStore({ uploadDir }).init(), 'STORE_MISCONFIGURED')
      expect(initErr.message).toContain(uploadDir)
    } finally {
      await run('mount', ['-o', 'remount,rw', mnt.dir])
    }
    await store.delete(file)
  })
})

describe.runIf(unavailable !== null)(
  `with an injected ENOSPC (tmpfs cannot be mounted: ${unavailable})`,
  () => {
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'psi-fs-enospc-'))
    })
    afterAll(async () => {
      inject.budget = null
      await rm(dir, { recursive: true, force: true })
    })

    it('ENOSPC during append → STORAGE_FULL at the real offset; resumes after space is freed', async () => {
      const store = new FileStore({ uploadDir: dir })
      await store.init()
      const total = MiB
      const file = newFile({ uploadLength: total })
      await store.create(file)
      inject.budget = 300 * KiB + 17
      const err = (await rejectsWithCode(
        store.append(file, patternChunks(9, 0, total, 64 * KiB), 0),
        'STORAGE_FULL',
      )) as PsiError
      inject.budget = null
      const onDisk = (await stat(path.join(dir, file.sid, file.key))).size
      expect(onDisk).toBe(300 * KiB + 17)
      expect(err.details).toEqual({ offset: onDisk })
      expect((await store.info(file)).offset).toBe(onDisk)
      expect(await store.append(file, patternChunks(9, onDisk, total, 64 * KiB), onDisk)).toBe(total)
      await store.complete(file)
      expect((await collect(await store.read(file))).equals(patternSlice(9, 0, total))).toBe(true)
    })
  },
)
