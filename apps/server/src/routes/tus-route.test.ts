import { describe, expect, it } from 'vitest'
import { isTusRequest, matchTusRequest } from './tus-route.js'

const shared = { uploadAppPath: '/', baseUrl: '/' }
const apart = { uploadAppPath: '/up/', baseUrl: '/' }
const plain = { tusResumable: false, lock: false }
const tus = { tusResumable: true, lock: false }

describe('matchTusRequest', () => {
  it('takes POST and OPTIONS on the collection, with or without the slash', () => {
    for (const path of ['/files', '/files/']) {
      expect(matchTusRequest(shared, 'POST', path, plain)).toEqual({ kind: 'endpoint', id: undefined })
      expect(matchTusRequest(shared, 'OPTIONS', path, plain)).toEqual({ kind: 'endpoint', id: undefined })
      expect(matchTusRequest(shared, 'GET', path, plain)).toBeUndefined()
      expect(matchTusRequest(shared, 'PATCH', path, plain)).toBeUndefined()
    }
  })

  it('takes the TUS methods on a file', () => {
    for (const method of ['PATCH', 'DELETE', 'POST', 'OPTIONS']) {
      expect(matchTusRequest(shared, method, '/files/a++b', plain)).toEqual({ kind: 'endpoint', id: 'a++b' })
    }
    expect(matchTusRequest(shared, 'GET', '/files/a++b', tus)).toBeUndefined()
    expect(matchTusRequest(shared, 'PUT', '/files/a++b', tus)).toBeUndefined()
  })

  it('leaves a plain HEAD to the downloads where they share the URL', () => {
    expect(matchTusRequest(shared, 'HEAD', '/files/a++b', plain)).toBeUndefined()
    expect(matchTusRequest(shared, 'HEAD', '/files/a++b', tus)).toEqual({ kind: 'endpoint', id: 'a++b' })
    expect(matchTusRequest(apart, 'HEAD', '/up/files/a++b', plain)).toEqual({ kind: 'endpoint', id: 'a++b' })
  })

  it('tells the bucket lock from a TUS PATCH', () => {
    const lock = { tusResumable: false, lock: true }
    expect(matchTusRequest(shared, 'PATCH', '/files/bucket', lock)).toEqual({ kind: 'lock', sid: 'bucket' })
    // A file id is never a bucket: that PATCH is TUS, whatever its query.
    expect(matchTusRequest(shared, 'PATCH', '/files/a++b', lock)).toEqual({ kind: 'endpoint', id: 'a++b' })
  })

  it('matches nothing outside {U}files', () => {
    expect(matchTusRequest(apart, 'POST', '/files/', plain)).toBeUndefined()
    expect(matchTusRequest(apart, 'PATCH', '/files/a++b', plain)).toBeUndefined()
    expect(matchTusRequest(shared, 'POST', '/filesx', plain)).toBeUndefined()
    expect(matchTusRequest(shared, 'POST', '/other/', plain)).toBeUndefined()
  })
})

describe('isTusRequest', () => {
  it('marks the TUS protocol on {U}files (CORS), not downloads', () => {
    expect(isTusRequest('POST', '/files/', '/', false)).toBe(true)
    expect(isTusRequest('PATCH', '/files/a++b', '/', false)).toBe(true)
    expect(isTusRequest('HEAD', '/files/a++b', '/', true)).toBe(true)
    expect(isTusRequest('HEAD', '/files/a++b', '/', false)).toBe(false)
    expect(isTusRequest('GET', '/files/a++b', '/', true)).toBe(false)
    expect(isTusRequest('POST', '/files/', '/up/', false)).toBe(false)
  })
})
