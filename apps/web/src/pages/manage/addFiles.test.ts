import { describe, expect, it } from 'vitest'
import type { ManagedBucket } from '../../api/manage.js'
import type { ClientConfig } from '../../api/types.js'
import { shareRetention } from './addFiles.js'

const NOW = Date.UTC(2026, 5, 1, 12)

function bucket(expiresAt: number | null, oneTime = false): ManagedBucket {
  return {
    sid: 's',
    shareUrl: 'http://x/s',
    locked: true,
    protected: false,
    expiresAt,
    maxAge: null,
    mail: false,
    notifyEmail: null,
    firstDownloadAt: null,
    files: [
      {
        key: 'k',
        name: 'a',
        relativePath: '',
        type: '',
        size: 1,
        createdAt: NOW - 1000,
        expiresAt,
        maxExpiresAt: null,
        oneTime,
        downloads: 0,
        lastDownload: null,
        downloadLimit: oneTime ? 1 : null,
        downloadsLeft: oneTime ? 1 : null,
      },
    ],
  }
}

const config = (over: Partial<ClientConfig>) => ({ defaultRetention: '3600', ...over }) as ClientConfig

describe('shareRetention (files added through the manage link)', () => {
  it("get the share's expiry as a chosen date where the server takes one", () => {
    expect(shareRetention(bucket(NOW + 86_400_000), config({ customExpiry: true }), NOW)).toBe(
      `at:${NOW + 86_400_000}`,
    )
    // Else the default, which the final PATCH caps to the share's expiry.
    expect(shareRetention(bucket(NOW + 86_400_000), config({ customExpiry: false }), NOW)).toBe('3600')
  })

  it('are kept until deleted in a share kept until deleted', () => {
    expect(shareRetention(bucket(null), config({ customExpiry: true, untilDeleted: true }), NOW)).toBe(
      'until-deleted',
    )
    expect(shareRetention(bucket(null), config({ untilDeleted: false }), NOW)).toBe('3600')
    expect(shareRetention(bucket(null, true), config({ untilDeleted: true }), NOW)).toBe('3600')
  })
})
