/**
 * A real socket that never answers: the SDK-level fault tests (msw) cannot show whether a stalled
 * connection is ever given up, because msw answers without a socket.
 */
import net from 'node:net'
import { isPsiError, parseBucketId, parseFileId } from '@psitransfer/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3Store } from './s3-store.js'

describe('a hung S3 endpoint', () => {
  let server: net.Server
  let port = 0
  let accepted = 0
  const sockets = new Set<net.Socket>()

  beforeAll(async () => {
    // Accepts connections and reads the requests, never answers.
    server = net.createServer((socket) => {
      accepted++
      sockets.add(socket)
      socket.on('data', () => {})
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  })

  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('is given up after requestTimeoutMs without traffic: a clear error, not a request that waits forever', async () => {
    const store = new S3Store({
      bucket: 'psi-hung',
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestTimeoutMs: 1000,
      maxAttempts: 2,
    })
    try {
      const ref = { sid: parseBucketId('hungBucket1'), key: parseFileId('hungFile1') }
      // Without an idle timeout this never settles and the test times out.
      const err = await store.info(ref).catch((e: unknown) => e)
      expect(isPsiError(err) && err.code).toBe('STORE_UNAVAILABLE')
      // Each of the two attempts reached the endpoint and was abandoned in turn.
      expect(accepted).toBeGreaterThanOrEqual(2)
    } finally {
      await store.close()
    }
  }, 30_000)
})
