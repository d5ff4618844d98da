/**
 * SIGKILL in the middle of an append: the blocks the killed process staged survive as
 * uncommitted blocks, a new instance derives the offset from the block list (never below what
 * was acknowledged, never beyond what was handed over), takes over the dead writer's lease
 * within about `lockStaleAfter` + 2 s, and the upload completes byte-exact from there.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { newFileFixture } from '@psitransfer/core/testing'
import { checkPattern, patternStream } from '@psitransfer/core/testing/pattern'
import { expect, it } from 'vitest'
import { durableBlocks } from './blocks.js'
import { MiB } from './config.js'
import { AzureLocker } from './locker.js'
import { storeOptions, storeSuite } from './test-support/env.js'

const CHILD = fileURLToPath(new URL('./test-support/crash-append.ts', import.meta.url))
const TS_LOADER = fileURLToPath(new URL('../../../scripts/ts/loader.mjs', import.meta.url))
const suite = storeSuite('crash')

it('loses no acknowledged byte when the appending process is killed with SIGKILL', async () => {
  const seed = 91
  const total = 32 * MiB
  const store = suite.store({ blockSize: MiB })
  await store.init()
  const file = newFileFixture({ uploadLength: total })
  await store.create(file)

  // Appends of 12 MiB in 256 KiB pieces: killed during the second append, after 18 MiB.
  const options = JSON.stringify(storeOptions(suite.prefix, { blockSize: MiB }))
  const args = [file.sid, file.key, String(seed), String(total), String(12 * MiB), String(256 * 1024), '5']
  const child = spawn(process.execPath, ['--import', TS_LOADER, CHILD, options, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code))
  })
  let handed = 0
  let acked = 0
  await new Promise<void>((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const line of lines) {
        const [what, n] = line.split(' ')
        if (what === 'done') reject(new Error('the child finished before it was killed'))
        if (what === 'acked') acked = Number(n)
        if (what === 'handed') handed = Number(n)
        if (handed >= 18 * MiB && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL')
          resolve()
        }
      }
    })
    void exited.then((how) => reject(new Error(`child exited early (${how}): ${stderr}`)))
  })
  const killedAt = Date.now()
  expect(await exited).toBe('SIGKILL')
  expect(acked, 'the first append was acknowledged').toBe(12 * MiB)

  // What survived: the committed first append plus uncommitted blocks of the second.
  const list = await suite.raw
    .getBlockBlobClient(`${suite.prefix}${file.sid}/${file.key}`)
    .getBlockList('all')
  const state = durableBlocks(list.committedBlocks ?? [], list.uncommittedBlocks ?? [])
  expect(state.committedLength).toBe(12 * MiB)
  expect(state.chain.length, 'blocks staged by the killed append survive uncommitted').toBeGreaterThan(0)

  const fresh = suite.store({ blockSize: MiB })
  const info = await fresh.info(file)
  expect(info.offset).toBe(state.offset)
  expect(info.offset).toBeGreaterThan(acked)
  expect(info.offset).toBeLessThanOrEqual(handed)
  expect(info).toMatchObject({ complete: false, uploadLength: total })

  // The dead writer's lease is broken once its heartbeat is stale; the upload then completes.
  const lock = await new AzureLocker(fresh).lock(`${file.sid}++${file.key}`, { waitMs: 30_000 })
  const takeover = Date.now() - killedAt
  console.info(
    `[store-azure] lock of the killed writer taken over ${(takeover / 1000).toFixed(1)} s after SIGKILL`,
  )
  try {
    expect(takeover, 'lock taken over within 10 s (lockStaleAfter 6 s + two looks)').toBeLessThan(10_000)
    const rest = patternStream(seed, total - info.offset, { offset: info.offset, chunkSize: 300_000 })
    expect(await fresh.append(file, rest, info.offset)).toBe(total)
    await fresh.complete(file)
  } finally {
    await lock.release()
  }
  const check = await checkPattern(seed, await fresh.read(file))
  expect(check).toMatchObject({ length: total, firstMismatch: null })
}, 90_000)
