import { describe, expect, it } from 'vitest'
import {
  clearSession,
  fingerprint,
  type KeyValueStorage,
  loadSession,
  matchRestored,
  SESSION_KEY,
  saveSession,
  storedUploadUrls,
  type UploadSession,
} from './session.js'

class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, string>()
  getItem(k: string) {
    return this.map.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.map.set(k, v)
  }
  removeItem(k: string) {
    this.map.delete(k)
  }
  get length() {
    return this.map.size
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null
  }
}

const file = (name: string, done = false, relativePath = '') => ({
  name,
  relativePath,
  size: 10,
  lastModified: 5,
  type: 'text/plain',
  comment: '',
  done,
})

const session = (files = [file('a'), file('b', true)]): UploadSession => ({
  v: 1,
  sid: 'S1',
  retention: '3600',
  password: 'pw',
  createdAt: 1,
  files,
})

describe('session persistence', () => {
  it('round-trips an unfinished session', () => {
    const s = new MemoryStorage()
    saveSession(s, session())
    expect(loadSession(s)).toEqual(session())
  })

  it("keeps the bucket's upload token (a reload must still add files and lock the bucket)", () => {
    const s = new MemoryStorage()
    saveSession(s, { ...session(), bucketToken: 'tok_1' })
    expect(loadSession(s)?.bucketToken).toBe('tok_1')
    s.setItem(SESSION_KEY, JSON.stringify({ ...session(), bucketToken: 42 }))
    expect(loadSession(s)).toEqual(session())
  })

  it('keeps the notice address (set after the lock, which a reload may still have to do)', () => {
    const s = new MemoryStorage()
    saveSession(s, { ...session(), notifyEmail: 'me@example.org' })
    expect(loadSession(s)?.notifyEmail).toBe('me@example.org')
    s.setItem(SESSION_KEY, JSON.stringify({ ...session(), notifyEmail: ['x'] }))
    expect(loadSession(s)).toEqual(session())
  })

  it('ignores finished, empty, foreign or corrupt data', () => {
    const s = new MemoryStorage()
    saveSession(s, session([file('a', true)]))
    expect(loadSession(s)).toBeNull()
    s.setItem(SESSION_KEY, '{not json')
    expect(loadSession(s)).toBeNull()
    s.setItem(SESSION_KEY, JSON.stringify({ v: 2, sid: 'x', files: [file('a')] }))
    expect(loadSession(s)).toBeNull()
  })

  it("clears the session and tus-js-client's URLs of that bucket only", () => {
    const s = new MemoryStorage()
    saveSession(s, session())
    s.setItem(`tus::${fingerprint('S1', file('a'))}::1`, '{}')
    s.setItem(`tus::${fingerprint('S2', file('a'))}::2`, '{}')
    s.setItem('psitransfer.lang', 'de')
    clearSession(s, 'S1')
    expect([...s.map.keys()].sort()).toEqual(
      ['psitransfer.lang', `tus::${fingerprint('S2', file('a'))}::2`].sort(),
    )
  })
})

describe('storedUploadUrls', () => {
  it("reads the upload URLs tus-js-client stored for this bucket's files", () => {
    const s = new MemoryStorage()
    s.setItem(
      `tus::${fingerprint('S1', file('a'))}::1`,
      JSON.stringify({ uploadUrl: 'http://x/files/S1++k1', size: 10 }),
    )
    s.setItem(`tus::${fingerprint('S1', file('b'))}::2`, 'not json')
    s.setItem(
      `tus::${fingerprint('S2', file('a'))}::3`,
      JSON.stringify({ uploadUrl: 'http://x/files/S2++k2' }),
    )
    expect(storedUploadUrls(s, 'S1')).toEqual(['http://x/files/S1++k1'])
  })
})

describe('fingerprint', () => {
  it('is scoped to the bucket and the file identity', () => {
    expect(fingerprint('S1', file('a'))).not.toBe(fingerprint('S2', file('a')))
    expect(fingerprint('S1', file('a', false, 'x'))).not.toBe(fingerprint('S1', file('a')))
  })
})

describe('matchRestored', () => {
  const pending = [file('a', false, 'dir1'), file('a', false, 'dir2'), file('b')]

  it('matches name, size, time and folder', () => {
    expect(matchRestored(pending, { ...file('a'), relativePath: 'dir2' })).toBe(pending[1])
    expect(matchRestored(pending, { ...file('b') })).toBe(pending[2])
  })

  it('matches a file re-added without its folder, but not a different folder', () => {
    expect(matchRestored(pending, file('a'))).toBe(pending[0])
    expect(matchRestored(pending, { ...file('a'), relativePath: 'other' })).toBeUndefined()
    expect(matchRestored(pending, { ...file('a'), size: 11 })).toBeUndefined()
  })
})
