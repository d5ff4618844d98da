import { describe, expect, it } from 'vitest'
import { forgetShare, loadShares, rememberShare } from './shares.js'

function memoryStorage(): Storage {
  const m = new Map<string, string>()
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    clear: () => m.clear(),
    key: (i) => [...m.keys()][i] ?? null,
    get length() {
      return m.size
    },
  }
}

describe('my shares', () => {
  it('keeps manage links newest first, replaces by bucket, forgets and drops expired ones', () => {
    const s = memoryStorage()
    const later = Date.now() + 60_000
    rememberShare(s, { sid: 'a', token: 't1', createdAt: 1, expiresAt: null, names: ['x'] })
    rememberShare(s, { sid: 'b', token: 't2', createdAt: 2, expiresAt: later, names: [] })
    rememberShare(s, { sid: 'a', token: 't3', createdAt: 3, expiresAt: null, names: ['y'] })
    expect(loadShares(s, 0).map((x) => [x.sid, x.token])).toEqual([
      ['a', 't3'],
      ['b', 't2'],
    ])
    expect(loadShares(s, later + 1).map((x) => x.sid)).toEqual(['a'])
    forgetShare(s, 'a')
    expect(loadShares(s, 0).map((x) => x.sid)).toEqual(['b'])
    s.setItem('psitransfer.shares', '{garbage')
    expect(loadShares(s)).toEqual([])
    expect(loadShares(null)).toEqual([])
  })
})
