/**
 * kill -9 in the middle of a large append: a new store instance reports exactly the bytes on
 * disk, they are a prefix of what was sent, and the upload completes byte-exact from there.
 */
import { spawn } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { FileStore } from './file-store.js'
import {
  hashStream,
  newFile,
  patternChunks,
  patternHash,
  patternSlice,
  tempDir,
} from './test-support/helpers.js'

const SUPPORT = fileURLToPath(new URL('./test-support/', import.meta.url))
const TS_LOADER = fileURLToPath(new URL('../../../scripts/ts/loader.mjs', import.meta.url))
const MiB = 1 << 20

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir('psi-fs-crash-'))
})
afterEach(async () => {
  await cleanup()
})

it('resumes byte-exact after the appending process is killed with SIGKILL', async () => {
  const seed = 77
  const total = 64 * MiB
  const store = new FileStore({ uploadDir: dir })
  await store.init()
  const file = newFile({ uploadLength: total })
  await store.create(file)

  const child = spawn(
    process.execPath,
    [
      '--import',
      TS_LOADER,
      path.join(SUPPORT, 'slow-append.ts'),
      dir,
      file.sid,
      file.key,
      String(seed),
      String(total),
      String(256 * 1024),
      '2',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code))
  })
  // Kill once the child has handed 16 MiB to the store: well inside the stream.
  let handed = 0
  await new Promise<void>((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('done')) reject(new Error('the child finished before it was killed'))
        handed = Number(line)
        if (handed >= 16 * MiB) {
          child.kill('SIGKILL')
          resolve()
        }
      }
    })
    void exited.then((how) => reject(new Error(`child exited early (${how}): ${stderr}`)))
  })
  expect(await exited).toBe('SIGKILL')

  const onDisk = (await stat(path.join(dir, file.sid, file.key))).size
  const fresh = new FileStore({ uploadDir: dir })
  const info = await fresh.info(file)
  expect(info.offset).toBe(onDisk)
  expect(info).toMatchObject({ complete: false, uploadLength: total })
  // Blocks of 1 MiB were being written: most of what was handed over is on disk, none beyond it.
  expect(onDisk).toBeGreaterThan(8 * MiB)
  expect(onDisk).toBeLessThan(total)
  const data = await readFile(path.join(dir, file.sid, file.key))
  expect(data.equals(patternSlice(seed, 0, onDisk)), 'bytes on disk are a prefix of the stream').toBe(true)
  // No leftovers from the killed process beyond the upload's own files.
  expect((await readdir(path.join(dir, file.sid))).sort()).toEqual([file.key, `${file.key}.json`].sort())

  expect(await fresh.append(file, patternChunks(seed, info.offset, total, 64 * 1024), info.offset)).toBe(
    total,
  )
  await fresh.complete(file)
  const read = await hashStream(await fresh.read(file))
  expect(read).toEqual({ size: total, hash: await patternHash(seed, total) })
}, 60_000)
