import { describe, expect, it } from 'vitest'
import type { KeyValueStorage } from '../../upload/session.js'
import {
  clearRequestSession,
  loadRequestSession,
  type RequestSession,
  requestFingerprint,
  requestSessionKey,
  saveRequestSession,
} from './requestSession.js'

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

const session = (files: RequestSession['files']): RequestSession => ({
  v: 1,
  sid: 'abc',
  createdAt: 5,
  files,
})
const file = (name: string, done: boolean) => ({ name, size: 10, lastModified: 1, done })

describe('request page session', () => {
  it('keeps an unfinished upload per request, and nothing once every file is done', () => {
    const s = new MemoryStorage()
    saveRequestSession(s, session([file('a', true), file('b', false)]))
    expect(loadRequestSession(s, 'abc')).toEqual(session([file('a', true), file('b', false)]))
    expect(loadRequestSession(s, 'other')).toBeNull()
    saveRequestSession(s, session([file('a', true)]))
    expect(loadRequestSession(s, 'abc')).toBeNull()
    expect(loadRequestSession(null, 'abc')).toBeNull()
  })

  it('ignores broken entries and unreadable JSON', () => {
    const s = new MemoryStorage()
    s.setItem(requestSessionKey('abc'), '{nope')
    expect(loadRequestSession(s, 'abc')).toBeNull()
    s.setItem(
      requestSessionKey('abc'),
      JSON.stringify({ v: 1, sid: 'abc', files: [{ name: 'x' }, file('ok', false)] }),
    )
    expect(loadRequestSession(s, 'abc')?.files).toEqual([file('ok', false)])
    // A session saved for one request never serves another.
    s.setItem(requestSessionKey('zzz'), JSON.stringify(session([file('b', false)])))
    expect(loadRequestSession(s, 'zzz')).toBeNull()
  })

  it('stores no secret: only names, sizes, times', () => {
    const s = new MemoryStorage()
    saveRequestSession(s, session([file('a', false)]))
    expect(Object.keys(JSON.parse(s.getItem(requestSessionKey('abc')) ?? '{}')).sort()).toEqual([
      'createdAt',
      'files',
      'sid',
      'v',
    ])
  })

  it('forgets the session and the upload URLs of its bucket only', () => {
    const s = new MemoryStorage()
    saveRequestSession(s, session([file('a', false)]))
    const f = new File(['x'], 'a.bin', { lastModified: 7 })
    s.setItem(`tus::${requestFingerprint('abc', f)}::1`, '{"uploadUrl":"/files/abc++k"}')
    s.setItem(`tus::${requestFingerprint('abd', f)}::1`, '{"uploadUrl":"/files/abd++k"}')
    s.setItem('psitransfer.session', '{"sid":"other"}')
    clearRequestSession(s, 'abc')
    expect([...s.map.keys()].sort()).toEqual(
      [`tus::${requestFingerprint('abd', f)}::1`, 'psitransfer.session'].sort(),
    )
  })
})
