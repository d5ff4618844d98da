/**
 * A conditional PUT the SDK retried after losing the first attempt's answer meets its own object
 * (412): S3Io must see it is ours (same MD5 ETag), or it would report the key as taken by
 * someone else (a lock "held" by nobody, a file "existing" that we just created).
 */
import { createHash } from 'node:crypto'
import type { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { S3Io } from './s3-io.js'

function precondition(attempts: number) {
  return Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
    name: 'PreconditionFailed',
    $metadata: { httpStatusCode: 412, attempts },
  })
}

function fakeClient(stored: string, attempts: number): S3Client {
  const etag = `"${createHash('md5').update(stored).digest('hex')}"`
  return {
    send: async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'PutObjectCommand') throw precondition(attempts)
      if (command.constructor.name === 'HeadObjectCommand')
        return { ContentLength: stored.length, ETag: etag, Metadata: {} }
      throw new Error(`unexpected ${command.constructor.name}`)
    },
  } as unknown as S3Client
}

describe('S3Io.put with ifNoneMatch', () => {
  it('takes a 412 on a retry that meets its own body as success', async () => {
    const io = new S3Io(fakeClient('{"token":"mine"}', 2), 'b')
    expect(await io.put('k', '{"token":"mine"}', { ifNoneMatch: true })).toMatch(/^"[0-9a-f]{32}"$/)
  })

  it('reports the key taken when the object there is somebody else’s', async () => {
    const io = new S3Io(fakeClient('{"token":"theirs"}', 2), 'b')
    expect(await io.put('k', '{"token":"mine"}', { ifNoneMatch: true })).toBeNull()
  })

  it('does not look when the first attempt got the 412 (the key was taken before)', async () => {
    const io = new S3Io(fakeClient('{"token":"mine"}', 1), 'b')
    expect(await io.put('k', '{"token":"mine"}', { ifNoneMatch: true })).toBeNull()
    expect(io.stats.requests.HeadObject).toBeUndefined()
  })
})
