#!/usr/bin/env node
// Peer for the S3 rows: @tus/server 2.x + @tus/s3-store, stock settings (8 MiB parts), on the
// bench's S3 (the local RGW). Same contract as the shared harness's peers:
//   PORT, HOST (127.0.0.1); PSI_S3_ENDPOINT, PSI_S3_BUCKET, PSI_S3_REGION, PSI_S3_ACCESS_KEY,
//   PSI_S3_SECRET_KEY (scripts/s3/rgw.sh env). Upload endpoint http://HOST:PORT/files/, and
//   GET /files/:id serves a finished upload (read back from S3 by the store).
import { S3Store } from '@tus/s3-store'
import { Server } from '@tus/server'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || 1080)
const need = (k) => {
  const v = process.env[k]
  if (!v) throw new Error(`${k} is not set`)
  return v
}

const datastore = new S3Store({
  s3ClientConfig: {
    bucket: need('PSI_S3_BUCKET'),
    region: process.env.PSI_S3_REGION || 'us-east-1',
    endpoint: need('PSI_S3_ENDPOINT'),
    forcePathStyle: true,
    // Ceph RGW rejects the SDK's default streaming CRC32 trailers on UploadPart; our store turns
    // them off for RGW the same way (storage.checksums: when-required).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: need('PSI_S3_ACCESS_KEY'), secretAccessKey: need('PSI_S3_SECRET_KEY') },
  },
})
// s3-store 2.0.7 answers DELETE of a finished upload with 404 (aborting its completed multipart
// upload fails with NoSuchUpload) and keeps the objects: the bench's cleanup would leave a few GiB
// per sitting on the gateway. The objects are deleted here in that case.
const remove = datastore.remove.bind(datastore)
datastore.remove = async (id) => {
  try {
    await remove(id)
  } catch (err) {
    if (err?.status_code !== 404) throw err
    await datastore.client.deleteObjects({
      Bucket: datastore.bucket,
      Delete: { Objects: [{ Key: id }, { Key: `${id}.info` }, { Key: `${id}.part` }] },
    })
  }
}
const server = new Server({ path: '/files', datastore })
const http = server.listen({ host, port }, () => {
  process.stdout.write(
    `${JSON.stringify({ ready: true, peer: 'tus-s3-store', pid: process.pid, endpoint: `http://${host}:${port}/files/`, node: process.version })}\n`,
  )
})
http.on('error', (e) => {
  console.error(e)
  process.exit(1)
})
const stop = () => {
  http.close(() => process.exit(0))
  http.closeAllConnections?.()
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
