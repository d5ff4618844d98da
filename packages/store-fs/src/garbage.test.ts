/** Stray entries in the tree are reported (once) and skipped, never fatal. */
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { listAll, newBucketId, newFileId } from '@psitransfer/core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { FileStore } from './file-store.js'
import {
  collect,
  fromChunks,
  makeStore,
  newFile,
  recordingLogger,
  rejectsWithCode,
  tempDir,
} from './test-support/helpers.js'

let dir: string
let cleanup: () => Promise<void>
let store: FileStore
let logger: ReturnType<typeof recordingLogger>

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir('psi-fs-garbage-'))
  logger = recordingLogger()
  store = await makeStore(dir, { logger })
})
afterEach(async () => {
  await cleanup()
})

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000)

it('lists the good files and skips (and reports) every kind of garbage', async () => {
  const good = newFile({ uploadLength: 3 })
  await store.create(good)
  await store.append(good, fromChunks([Buffer.from('abc')]), 0)
  const bucket = path.join(dir, good.sid)

  const noData = newFileId()
  await writeFile(path.join(bucket, `${noData}.json`), JSON.stringify({ metadata: { name: 'ghost' } }))
  const noSidecar = newFileId()
  await writeFile(path.join(bucket, noSidecar), 'orphan bytes')
  const garbage = newFileId()
  await writeFile(path.join(bucket, garbage), 'x')
  await writeFile(path.join(bucket, `${garbage}.json`), '{"metadata": {"name": "trunc')
  const notASidecar = newFileId()
  await writeFile(path.join(bucket, notASidecar), 'x')
  await writeFile(path.join(bucket, `${notASidecar}.json`), '[1, 2, 3]')
  const noMetadata = newFileId()
  await writeFile(path.join(bucket, noMetadata), 'x')
  await writeFile(path.join(bucket, `${noMetadata}.json`), '{"uploadLength": 1}')
  await writeFile(path.join(bucket, `${good.key}.claim`), '{}')
  await writeFile(path.join(bucket, 'notes.txt'), 'hello')
  await mkdir(path.join(bucket, 'subdir'))
  const freshTemp = path.join(bucket, `${good.key}.json.abc123.tmp`)
  const staleTemp = path.join(bucket, `${good.key}.json.def456.tmp`)
  await writeFile(freshTemp, '{')
  await writeFile(staleTemp, '{')
  await utimes(staleTemp, hoursAgo(2), hoursAgo(2))
  const staleRootTemp = path.join(dir, '.probe-0123.tmp')
  await writeFile(staleRootTemp, 'probe')
  await utimes(staleRootTemp, hoursAgo(3), hoursAgo(3))
  await writeFile(path.join(dir, 'README'), 'not a bucket')
  await mkdir(path.join(dir, 'lost+found'))
  const emptyBucket = newBucketId()
  await mkdir(path.join(dir, emptyBucket))

  const listed = await listAll(store)
  expect(listed.map((m) => m.key)).toEqual([good.key])
  expect(listed[0]).toMatchObject({ offset: 3, name: 'report.pdf' })
  expect(await listAll(store, { sid: good.sid })).toEqual(listed)
  expect(await listAll(store, { sid: emptyBucket })).toEqual([])

  // Reported with the entry (relative to uploadDir) and a reason.
  const reported = logger.entries.map((e) => `${(e.obj as { entry: string }).entry}: ${e.msg}`)
  for (const expected of [
    `${good.sid}/${noData}.json: sidecar without data file`,
    `${good.sid}/${noSidecar}: data file without sidecar`,
    `${good.sid}/${garbage}.json: sidecar is not valid JSON`,
    `${good.sid}/${notASidecar}.json: sidecar is not a JSON object`,
    `${good.sid}/${noMetadata}.json: sidecar has no metadata object`,
    `${good.sid}/notes.txt: unexpected entry`,
    'README: unexpected entry',
  ]) {
    expect(
      reported.some((r) => r.startsWith(expected)),
      `${expected}\n in ${reported.join('\n')}`,
    ).toBe(true)
  }
  // Stale temp files (a crash during an atomic write) are removed; fresh ones may be in use.
  const left = await readdir(bucket)
  expect(left).toContain(path.basename(freshTemp))
  expect(left).not.toContain(path.basename(staleTemp))
  expect(await readdir(dir)).not.toContain(path.basename(staleRootTemp))

  // Each problem is reported once per process, not on every sweep.
  const count = logger.entries.length
  await listAll(store)
  expect(logger.entries.length).toBe(count)

  // The damaged entries behave as missing files for every other operation.
  for (const key of [noData, noSidecar, garbage, notASidecar]) {
    await rejectsWithCode(store.info({ sid: good.sid, key } as never), 'NOT_FOUND')
  }
  // ... and can still be deleted (cleanup by the operator or the sweeper).
  await store.delete({ sid: good.sid, key: garbage } as never)
  await store.delete({ sid: good.sid, key: noSidecar } as never)
  expect(await readdir(bucket)).not.toContain(garbage)
})

it('lists nothing (and does not crash) when uploadDir vanished after init', async () => {
  await cleanup()
  expect(await listAll(store)).toEqual([])
  expect(logger.entries.map((e) => e.msg)).toEqual(['the upload directory is missing'])
  // create recreates it, as PsiTransfer's ensureDir would.
  const file = newFile()
  await store.create(file)
  expect((await listAll(store)).map((m) => m.key)).toEqual([file.key])
})

it('sweeps what a crash left half-made once it is an hour old, and nothing else', async () => {
  const good = newFile({ uploadLength: 3 })
  await store.create(good)
  await store.append(good, fromChunks([Buffer.from('abc')]), 0)
  await store.claim(good)
  const bucket = path.join(dir, good.sid)
  const old = async (name: string, body = 'x') => {
    await writeFile(path.join(bucket, name), body)
    await utimes(path.join(bucket, name), hoursAgo(2), hoursAgo(2))
  }
  // Killed during create: data file, with or without its temp sidecar.
  const noRecord = newFileId()
  await old(noRecord, 'orphan bytes')
  const halfCreated = newFileId()
  await old(halfCreated)
  await old(`${halfCreated}.json.0a1b2c.tmp`, '{"meta')
  // Killed during delete: the record (and a claim) outlived the data.
  const noData = newFileId()
  await old(`${noData}.json`, '{"metadata": {"name": "ghost"}}')
  await old(`${noData}.claim`, '{}')
  // A create in flight right now: too young to touch.
  const young = newFileId()
  await writeFile(path.join(bucket, young), '')
  // Not ours: left for the operator.
  await old('notes.txt', 'hello')
  // The good file's data and sidecar are old too; they stay.
  for (const f of [good.key, `${good.key}.json`, `${good.key}.claim`]) {
    await utimes(path.join(bucket, f), hoursAgo(5), hoursAgo(5))
  }

  const report = await store.sweep({ now: Date.now() })
  expect(report).toEqual({ orphanData: 2, orphanRecords: 2, tempFiles: 1 })
  expect((await readdir(bucket)).sort()).toEqual(
    [good.key, `${good.key}.json`, `${good.key}.claim`, young, 'notes.txt'].sort(),
  )
  expect((await listAll(store)).map((m) => m.key)).toEqual([good.key])
  expect(await collect(await store.read(good))).toEqual(Buffer.from('abc'))

  // With the clock an hour on, the young entry is a leftover too.
  expect(await store.sweep({ now: Date.now() + 2 * 3600_000 })).toMatchObject({ orphanData: 1 })
  expect(await readdir(bucket)).not.toContain(young)
})
