/** Builds the SDK client from the store config. @module */
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import type { S3StoreConfig } from './config.js'

/** Where the SDK's own warnings go (the store's logger). */
export type SdkWarn = (obj: unknown, msg?: string) => void

export function createS3Client(config: S3StoreConfig, warn?: SdkWarn): S3Client {
  const checksum = config.checksums === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED'
  // Keep-alive with room for every part in flight plus metadata and lock requests.
  const agentOptions = { keepAlive: true, maxSockets: 256, keepAliveMsecs: 1000 }
  const options: S3ClientConfig = {
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    // The SDK asks for `100 Continue` before bodies of 2 MiB and more: one more round trip
    // (and a request-authentication pass on the server) before every part and large tail
    // segment, which a sequential client waits out on each PATCH.
    expectContinueHeader: false,
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    maxAttempts: config.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      // An idle timeout: a request whose socket moves no byte for this long is abandoned (and
      // retried). The handler's `requestTimeout` is a total-time timer that only logs a warning
      // unless told to throw, and a total limit would also cut long streamed parts fed by a slow
      // client; without an idle timeout a hung S3 request would hold its upload forever.
      socketTimeout: config.requestTimeoutMs,
      connectionTimeout: Math.min(10_000, config.requestTimeoutMs),
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
  }
  // Without a logger the SDK writes to the console, e.g. for every streamed part the store
  // aborts on purpose ("non-retryable streaming request"); that one is expected, others are logged.
  const quiet = () => {}
  options.logger = {
    debug: quiet,
    info: quiet,
    warn: (...content: unknown[]) => {
      if (!String(content[0]).includes('non-retryable streaming request'))
        warn?.({ sdk: content }, 'S3 SDK warning')
    },
    error: (...content: unknown[]) => warn?.({ sdk: content }, 'S3 SDK error'),
  }
  if (config.endpoint) options.endpoint = config.endpoint
  if (config.credentials) options.credentials = { ...config.credentials }
  return new S3Client(options)
}
