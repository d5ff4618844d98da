/**
 * Never lose an acknowledged byte: interrupted and aborted PATCHes, a process killed with
 * SIGKILL mid-PATCH, two instances taking turns, and the order in which tails are replaced.
 * After every interruption, the offset any instance reports is checked against what S3 holds.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { UploadPartCommand } from '@aws-sdk/client-s3'
import { isPsiError } from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { S3Locker } from './locker.js'
import type { S3Store } from './s3-store.js'
import { s3Env, storeOptions } from './test-support/env.js'
import { storeSuite } from './test-support/suite.js'
import { newFile } from './test-support/upload.js'

const MiB = 1024 * 1024
const S = MIN_PART_SIZE
const SUPPORT = fileURLToPath(new URL('./test-support/', import.meta.url))
const TS_LOADER = fileURLToPath(new URL('../../../scripts/ts/loader.mjs', import.meta.url))
const { prefix, raw, probe, store } = storeSuite('durability', { partSize: S })

/** Pattern bytes `[from, to)` in chunks; throws `failWith` after `failAfter` bytes if given. */
async function* pattern(
  seed: number,
  from: number,
  to: number,
  options: { chunk?: number; failAfter?: number; onChunk?: (sent: number) => void } = {},
): AsyncGenerator<Uint8Array> {
  const chunk = options.chunk ?? 256 * 1024
  for (let at = from; at < to; ) {
    if (options.failAfter !== undefined && at - from >= options.failAfter)
      throw new Error('client went away (test)')
    const n = Math.min(chunk, to - at)
    yield patternBytes(seed, at, n)
    at += n
    options.onChunk?.(at)
  }
}

/** The offset a fresh instance reports, after checking S3 holds exactly those bytes. */
async function durableOffset(seed: number, ref: Parameters<S3Store['info']>[0]): Promise<number> {
  const fresh = store()
  const { offset } = await fresh.info(ref)
  expect(await probe.verify(ref, patternBytes(seed, 0, offset))).toBe(offset)
  return offset
}

/**
 * The offset a fresh instance reports after a process was killed. A part the dead process had in
 * flight can still land in S3 after that (S3 finishes a request whose body it fully received), so
 * S3 may hold more than the offset: it must hold at least the offset, and only bytes of the file.
 */
async function offsetAfterKill(
  seed: number,
  ref: Parameters<S3Store['info']>[0],
  size: number,
): Promise<number> {
  // A part the killed process had sent whole may still land in S3 after the kill (RGW finishes
  // the request): the durable offset can grow for a moment. Wait until it holds still, as the
  // next writer must start from it (else its append is a 409, which a client would re-HEAD).
  let offset = (await store().info(ref)).offset
  for (let last = -1, i = 0; offset !== last && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 750))
    last = offset
    offset = (await store().info(ref)).offset
  }
  expect(await probe.verifyPrefix(ref, patternBytes(seed, 0, size))).toBeGreaterThanOrEqual(offset)
  return offset
}

async function finishAndCheck(s: S3Store, seed: number, ref: Parameters<S3Store['info']>[0], size: number) {
  // A killed writer's lock lasts its TTL on S3's clock (a skewed local clock does not shorten it):
  // retry while it is held, as a resuming client does.
  for (const until = Date.now() + 30_000; ; ) {
    const { offset } = await s.info(ref)
    try {
      expect(await s.append(ref, pattern(seed, offset, size), offset)).toBe(size)
      break
    } catch (err) {
      if ((err as { code?: string }).code !== 'UPLOAD_LOCKED' || Date.now() > until) throw err
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  await s.complete(ref)
  expect(await probe.verify(ref, patternBytes(seed, 0, size))).toBe(size)
}

describe('interrupted PATCHes', () => {
  it('a body that fails mid-part, with parts in flight, leaves S3 and the offset consistent; resuming finishes byte-exact', async () => {
    const s = store()
    const size = 6 * S + 123
    const file = newFile(size)
    await s.create(file)
    const failAfter = 3 * S + 1_500_000
    let sent = 0
    const err = await s
      .append(file, pattern(11, 0, size, { failAfter, onChunk: (n) => (sent = n) }), 0)
      .catch((e: unknown) => e)
    expect(String(err)).toContain('client went away')
    const offset = await durableOffset(11, file)
    // Everything received before the failure is kept: three parts and a tail.
    expect(sent).toBeGreaterThanOrEqual(failAfter)
    expect(offset).toBe(sent)
    await finishAndCheck(s, 11, file, size)
  })

  it('an aborted PATCH (client gone) keeps what reached S3 and resumes on another instance', async () => {
    const a = store()
    const size = 4 * S
    const file = newFile(size)
    await a.create(file)
    const controller = new AbortController()
    const err = await a
      .append(
        file,
        pattern(12, 0, size, {
          onChunk: (sent) => sent >= 2 * S + 1000 && controller.abort(new Error('gone')),
        }),
        0,
        { signal: controller.signal },
      )
      .catch((e: unknown) => e)
    expect(isPsiError(err) && err.code).toBe('ABORTED')
    const offset = await durableOffset(12, file)
    expect(offset).toBeGreaterThanOrEqual(2 * S)
    expect(offset).toBeLessThanOrEqual(2 * S + 256 * 1024 + 1000)
    await finishAndCheck(store(), 12, file, size)
  })

  it('a process killed with SIGKILL mid-PATCH: every instance reports only bytes S3 holds, and the upload finishes byte-exact', async () => {
    const seed = 13
    const size = 40 * MiB
    const file = newFile(size)
    const options = storeOptions(prefix, { partSize: S, lockTtl: 5 })
    await store({ lockTtl: 5 }).create(file)
    // The dead process's lock expires after its TTL; this instance's clock runs ahead instead of waiting.
    const resumer = store({ lockTtl: 5 }, { now: () => Date.now() + 6000 })
    let offset = 0
    for (const killAt of [9 * MiB, 23 * MiB]) {
      const child = spawn(
        process.execPath,
        [
          '--import',
          TS_LOADER,
          path.join(SUPPORT, 'crash-append.ts'),
          JSON.stringify(options),
          file.sid,
          file.key,
          String(seed),
          String(offset),
          String(size),
          String(128 * 1024),
          '1',
          '6000',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      let sent = offset
      const killed = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const m = /sent (\d+)\n$/.exec(d.toString())
          if (m) sent = Number(m[1])
          if (sent >= killAt) child.kill('SIGKILL')
        })
        child.on('exit', (code, signal) =>
          signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited with ${code}: ${stderr}`)),
        )
      })
      await killed
      const after = await offsetAfterKill(seed, file, size)
      expect(after).toBeGreaterThanOrEqual(offset)
      expect(after).toBeLessThanOrEqual(sent)
      offset = after
    }
    await finishAndCheck(resumer, seed, file, size)
  }, 120_000)
  it('a part that a killed instance had in flight lands after another instance wrote a tail over its range: offsets stay on correct bytes', async () => {
    const seed = 17
    const size = 3 * S
    const file = newFile(size)
    const b = store()
    await b.create(file)
    // B takes over: part 1 and a 1 MiB tail segment where part 2 begins.
    expect(await b.append(file, pattern(seed, 0, S + MiB), 0)).toBe(S + MiB)
    // The dead instance's part 2 (the same bytes of the file, sent before B took over) lands now.
    const dataKey = `${prefix}${file.sid}/${file.key}`
    const upload = (await raw.multipartUploads(prefix)).find((u) => u.key === dataKey)
    expect(upload).toBeDefined()
    await raw.client.send(
      new UploadPartCommand({
        Bucket: s3Env().bucket,
        Key: dataKey,
        UploadId: upload?.uploadId,
        PartNumber: 2,
        Body: patternBytes(seed, S, S),
      }),
    )
    // Every instance now reports the part's end (bytes S3 holds, all of them the file's), the
    // tail segment it covers no longer counts, and the upload finishes byte-exact from there.
    const { offset } = await store().info(file)
    expect(offset).toBe(2 * S)
    expect(await probe.verify(file, patternBytes(seed, 0, offset))).toBe(offset)
    await finishAndCheck(store(), seed, file, size)
  })
})

describe('several instances', () => {
  it('two instances alternating PATCHes (tails written by one, continued by the other) stay byte-exact', async () => {
    const a = store()
    const b = store()
    const lockers = [new S3Locker(a), new S3Locker(b)]
    const size = 17 * MiB + 5
    const patch = 3 * MiB + 7
    const file = newFile(size)
    await a.create(file)
    let offset = 0
    for (let i = 0; offset < size; i++) {
      const s = i % 2 === 0 ? a : b
      const lock = await (lockers[i % 2] as S3Locker).lock(`${file.sid}++${file.key}`, { waitMs: 5000 })
      try {
        const info = await s.info(file)
        expect(info.offset).toBe(offset)
        const n = Math.min(patch, size - offset)
        offset = await s.append(file, pattern(14, offset, offset + n), offset)
      } finally {
        await lock.release()
      }
      expect(await probe.verify(file, patternBytes(14, 0, offset))).toBe(offset)
    }
    await b.complete(file)
    expect(await probe.verify(file, patternBytes(14, 0, size))).toBe(size)
    // Each instance had to fetch tails the other one wrote.
    expect(a.stats.bytesReceived).toBeGreaterThan(MiB)
    expect(b.stats.bytesReceived).toBeGreaterThan(MiB)
  })

  it('a tail this process still holds is not downloaded again', async () => {
    const s = store({ partSize: 8 * MiB })
    const size = 30_000_000
    const file = newFile(size)
    await s.create(file)
    const received = s.stats.bytesReceived
    const locker = new S3Locker(s)
    for (let offset = 0; offset < size; ) {
      const lock = await locker.lock(`${file.sid}++${file.key}`, { waitMs: 5000 })
      try {
        const n = Math.min(5_000_000, size - offset)
        offset = await s.append(file, pattern(15, offset, offset + n), (await s.info(file)).offset)
      } finally {
        await lock.release()
      }
    }
    // Only metadata and listings were read: no tail came back from S3.
    expect(s.stats.bytesReceived - received).toBeLessThan(64 * 1024)
    await s.complete(file)
    expect(await probe.verify(file, patternBytes(15, 0, size))).toBe(size)
  })
})

describe('tail replacement order', () => {
  it('while the part holding the old tail is in flight, the old tail is still in S3 and no instance reports more', async () => {
    const checks: number[] = []
    const file = newFile(3 * S)
    let armed = false
    const observer = store()
    const writer = store()
    writer.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (armed && context.commandName === 'UploadPartCommand') {
          armed = false
          // The part is about to be sent: S3 must still hold the old tail, and another
          // instance must report exactly the acknowledged offset.
          const { offset } = await observer.info(file)
          checks.push(offset)
          expect(await probe.verify(file, patternBytes(16, 0, offset))).toBe(offset)
          const segments = await raw.list(`${prefix}${file.sid}/${file.key}.part.`)
          expect(segments.length).toBeGreaterThan(0)
        }
        return next(args)
      },
      { step: 'initialize', name: 'observeParts' },
    )
    await writer.create(file)
    await writer.append(file, pattern(16, 0, 3 * MiB), 0)
    armed = true
    await writer.append(file, pattern(16, 3 * MiB, 7 * MiB), 3 * MiB)
    expect(checks).toEqual([3 * MiB])
    // After the PATCH: the part holds those bytes; the old tail segment (deleted in a later
    // batch) no longer counts for any instance.
    expect(await probe.verify(file, patternBytes(16, 0, 7 * MiB))).toBe(7 * MiB)
    expect((await store().info(file)).offset).toBe(7 * MiB)
    const segments = (await raw.list(`${prefix}${file.sid}/${file.key}.part.`)).map((o) =>
      Number(o.key.split('.').pop()),
    )
    expect(segments).toContain(S)
    await finishAndCheck(writer, 16, file, 3 * S)
    // Completing removes every segment.
    await expect.poll(async () => (await raw.list(`${prefix}${file.sid}/${file.key}.part.`)).length).toBe(0)
  })
})
