import { encode } from 'uqr'
import { describe, expect, it } from 'vitest'
import { qrPath } from './Qr.js'

describe('qrPath', () => {
  it('draws exactly the dark modules of the QR matrix', () => {
    const url = 'https://psi.test/AbCdEfGhIjKlMnOpQrStUv'
    const { size, d } = qrPath(url)
    const { data } = encode(url, { ecc: 'M', border: 2 })
    const dark = data.flat().filter(Boolean).length
    expect(size).toBe(data.length)
    expect(d.match(/M/g)).toHaveLength(dark)
    // The top-left finder pattern starts after the 2-module quiet zone.
    expect(d.startsWith('M2 2h1v1h-1z')).toBe(true)
    expect(d).not.toContain('M0 0h1')
  })

  it('grows with the amount of data', () => {
    expect(qrPath('x'.repeat(200)).size).toBeGreaterThan(qrPath('x').size)
  })
})
