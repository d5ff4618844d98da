import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'

const c = new S3Client({
  endpoint: 'http://127.0.0.1:7480',
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'psitest-access-key', secretAccessKey: 'psitest-secret-key-0123456789abcdef' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
const B = 'psi-test'
async function time(name, fn, n = 30) {
  const t = performance.now()
  for (let i = 0; i < n; i++) await fn(i)
  console.log(name, ((performance.now() - t) / n).toFixed(1), 'ms')
}
await time('put', (i) =>
  c.send(new PutObjectCommand({ Bucket: B, Key: `lat/${i}`, Body: Buffer.alloc(100) })),
)
await time('put0', (i) => c.send(new PutObjectCommand({ Bucket: B, Key: `lat/z${i}`, Body: '' })))
await time('head', (i) => c.send(new HeadObjectCommand({ Bucket: B, Key: `lat/${i}` })))
await time('get', async (i) => {
  const r = await c.send(new GetObjectCommand({ Bucket: B, Key: `lat/${i}` }))
  await r.Body.transformToByteArray()
})
await time('list', (i) => c.send(new ListObjectsV2Command({ Bucket: B, Prefix: `lat/${i}` })))
await time('del', (i) => c.send(new DeleteObjectCommand({ Bucket: B, Key: `lat/${i}` })))
