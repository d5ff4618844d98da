import { describe, expect, it } from 'vitest'
import type { ClientConfig } from '../../api/types.js'
import { retentionOptions } from './useRetentionOptions.js'

const labels = { oneTime: 'Once', untilDeleted: 'Until deleted', customExpiry: 'Custom date…' }
const t = (key: keyof typeof labels) => labels[key]

function config(over: Partial<ClientConfig> = {}): ClientConfig {
  return {
    retentions: { 'one-time': 'one time', '3600': '1 Hour', '86400': '1 Day' },
    retentionOrder: ['one-time', '3600', '86400'],
    defaultRetention: '3600',
    customExpiry: false,
    maxAge: null,
    untilDeleted: false,
    mailTemplate: '',
    requireBucketPassword: false,
    maxFileSize: null,
    maxBucketSize: null,
    disableQrCode: false,
    e2e: false,
    mail: false,
    maxPreviewSize: 0,
    tusEndpoint: '/files/',
    chunkSize: 8388608,
    directUpload: null,
    randomDownloadSidLength: 22,
    defaultLanguage: 'en',
    languages: ['en'],
    ...over,
  }
}

describe('retentionOptions', () => {
  it('lists the operator retentions, then until-deleted and a custom date when the server offers them', () => {
    const options = retentionOptions(
      config({ customExpiry: true, untilDeleted: true, maxAge: null }),
      {},
      t,
      'en',
    )
    expect(options.map((o) => o.value)).toEqual(['one-time', '3600', '86400', 'until-deleted', 'custom'])
    expect(options.map((o) => o.label)).toEqual(['Once', '1 hour', '1 day', 'Until deleted', 'Custom date…'])
  })

  it('offers neither to a server that does not say so (older servers, customExpiry off)', () => {
    expect(retentionOptions(config(), {}, t, 'en').map((o) => o.value)).toEqual(['one-time', '3600', '86400'])
    const listedOnly = config({ customExpiry: false, untilDeleted: false, maxAge: 3600 })
    expect(retentionOptions(listedOnly, {}, t, 'en').map((o) => o.value)).toEqual([
      'one-time',
      '3600',
      '86400',
    ])
  })

  it('offers a custom date without until-deleted when maxAge is set', () => {
    const options = retentionOptions(
      config({ customExpiry: true, untilDeleted: false, maxAge: 86400 }),
      {},
      t,
      'en',
    )
    expect(options.map((o) => o.value)).toEqual(['one-time', '3600', '86400', 'custom'])
  })
})
