#!/usr/bin/env node
// The bare-SDK ceiling of the S3 rows: the same files (the harness's pattern, same seeds as
// tus-bench gives them, so the same bytes) written straight to S3 with @aws-sdk/client-s3,
// 8 MiB parts with 4 in flight per file (a file of one part or less: one PutObject), `files`
// files, `concurrency` at once. Every object is read back and compared, then deleted (outside
// the timing). One JSON line per repetition on stdout, shaped like tus-bench's `run` lines.
//
//   node s3-sdk.mjs --harness DIR --size BYTES --files N --concurrency C --repeat R --label L
//   (S3 from PSI_S3_* as printed by scripts/s3/rgw.sh env)
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'

const { values: a } = parseArgs({
  options: {
    harness: { type: 'string' },
    size: { type: 'string' },
    files: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    repeat: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    label: { type: 'string', default: '' },
  },
})
const { fileSeed, patternChunks, PatternVerifier } = await import(
  pathToFileURL(path.join(a.harness, 'lib', 'pattern.mjs')).href
)
const PART = 8 * 1024 * 1024
const IN_FLIGHT = 4
const size = Number(a.size)
const files = Number(a.files)
const concurrency = Math.min(Number(a.concurrency), files)
const bucket = process.env.PSI_S3_BUCKET
const s3 = new S3Client({
  region: process.env.PSI_S3_REGION || 'us-east-1',
  endpoint: process.env.PSI_S3_ENDPOINT,
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.PSI_S3_ACCESS_KEY, secretAccessKey: process.env.PSI_S3_SECRET_KEY },
  // Sockets for every part in flight: the SDK's default pool (50) would do, but say it.
  requestHandler: { httpAgent: { keepAlive: true, maxSockets: concurrency * IN_FLIGHT + 4 } },
})

/** Bytes [start, end) of the pattern with `seed` as one buffer (one copy per part, like a client's read). */
const bytes = (seed, start, end) => Buffer.concat([...patternChunks(seed, start, end)])

async function uploadOne(key, seed) {
  if (size <= PART) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes(seed, 0, size) }))
    return
  }
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
  try {
    const parts = []
    let next = 0
    const count = Math.ceil(size / PART)
    await Promise.all(
      Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
        while (next < count) {
          const i = next++
          const { ETag } = await s3.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId,
              PartNumber: i + 1,
              Body: bytes(seed, i * PART, Math.min(size, (i + 1) * PART)),
            }),
          )
          parts[i] = { ETag, PartNumber: i + 1 }
        }
      }),
    )
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    )
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => {})
    throw err
  }
}

async function verifyOne(key, seed) {
  const v = new PatternVerifier(seed, size)
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  for await (const c of res.Body) v.update(c)
  return v.finish().ok
}

const run = Date.now().toString(36)
let failed = 0
for (let rep = 0; rep < Number(a.repeat); rep++) {
  const jobs = Array.from({ length: files }, (_, i) => ({
    key: `s3-sdk-bench/${run}-r${rep}-${i}`,
    seed: fileSeed(Number(a.seed) + rep, i),
  }))
  const errors = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < files) {
        const j = jobs[next++]
        await uploadOne(j.key, j.seed).then(
          () => {
            j.ok = true
          },
          (err) => errors.push(String(err?.message ?? err)),
        )
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  let checked = 0
  let bad = 0
  for (const j of jobs.filter((x) => x.ok)) {
    checked++
    if (!(await verifyOne(j.key, j.seed).catch(() => false))) bad++
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: j.key })).catch(() => {})
  }
  const okFiles = jobs.filter((j) => j.ok).length
  const ok = errors.length === 0 && bad === 0
  if (!ok) failed++
  const line = {
    tool: 's3-sdk',
    type: 'run',
    label: a.label,
    rep,
    warmup: false,
    ts: new Date().toISOString(),
    node: process.version,
    size,
    files,
    concurrency,
    partSize: PART,
    partsInFlight: IN_FLIGHT,
    ok,
    seconds,
    mibPerS: (okFiles * size) / 1048576 / seconds,
    filesPerS: okFiles / seconds,
    errors: errors.slice(0, 5),
    verify: { ok: bad === 0 && checked === files, checked, failed: bad },
  }
  process.stdout.write(`${JSON.stringify(line)}\n`)
}
process.exitCode = failed ? 1 : 0
