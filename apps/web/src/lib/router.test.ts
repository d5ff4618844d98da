import { describe, expect, it } from 'vitest'
import { appBase, routeOf, uploadPathOf } from './router.js'

describe('routeOf', () => {
  it('routes the three pages below the base', () => {
    expect(routeOf('/', '/')).toEqual({ page: 'upload' })
    expect(routeOf('/admin', '/')).toEqual({ page: 'admin' })
    expect(routeOf('/admin/', '/')).toEqual({ page: 'admin' })
    expect(routeOf('/AbC_12-x', '/')).toEqual({ page: 'download', sid: 'AbC_12-x' })
    expect(routeOf('/share/', '/share/')).toEqual({ page: 'upload' })
    expect(routeOf('/share/abc', '/share/')).toEqual({ page: 'download', sid: 'abc' })
  })

  it('routes the upload request pages: the form at request/, a request at request/{sid}', () => {
    expect(routeOf('/request/', '/')).toEqual({ page: 'newRequest' })
    expect(routeOf('/share/request/', '/share/')).toEqual({ page: 'newRequest' })
    expect(routeOf('/request/Ab-1', '/')).toEqual({ page: 'request', sid: 'Ab-1' })
    expect(routeOf('/share/request/Ab-1', '/share/')).toEqual({ page: 'request', sid: 'Ab-1' })
    // Without the slash it stays the download page of a bucket named `request`.
    expect(routeOf('/request', '/')).toEqual({ page: 'download', sid: 'request' })
    expect(routeOf('/request/a/b', '/')).toEqual({ page: 'notFound' })
  })

  it('refuses paths that are no bucket id', () => {
    expect(routeOf('/a/b', '/')).toEqual({ page: 'notFound' })
    expect(routeOf('/%E0%A4%A', '/')).toEqual({ page: 'notFound' })
    expect(routeOf('/..', '/')).toEqual({ page: 'notFound' })
  })
})

describe('routeOf with the upload page below the base (uploadAppPath)', () => {
  it('is the upload page at its own path, not the download page of a bucket named like it', () => {
    expect(routeOf('/psi/up/', '/psi/', '/psi/up/')).toEqual({ page: 'upload' })
    expect(routeOf('/psi/up', '/psi/', '/psi/up/')).toEqual({ page: 'upload' })
    expect(routeOf('/psi/up/', '/psi/')).toEqual({ page: 'download', sid: 'up' })
    expect(routeOf('/psi/b1', '/psi/', '/psi/up/')).toEqual({ page: 'download', sid: 'b1' })
    expect(routeOf('/psi/admin', '/psi/', '/psi/up/')).toEqual({ page: 'admin' })
    expect(routeOf('/', '/', '/')).toEqual({ page: 'upload' })
  })

  it('reads the upload path from the psi-upload meta tag', () => {
    const doc = {
      querySelector: (s: string) => (s.includes('psi-upload') ? { getAttribute: () => '/psi/up/' } : null),
    }
    expect(uploadPathOf(doc)).toBe('/psi/up/')
    expect(uploadPathOf({ querySelector: () => null })).toBeUndefined()
  })
})

describe('appBase', () => {
  it('is the folder above the assets folder of the script', () => {
    expect(appBase('https://x.test/share/assets/index-abc.js').href).toBe('https://x.test/share/')
    expect(appBase('http://localhost:5173/src/main.tsx').href).toBe('http://localhost:5173/')
  })

  it('honours a psi-base meta tag', () => {
    const doc = { querySelector: () => ({ getAttribute: () => '/proxy/psi' }) }
    expect(appBase('https://x.test/assets/a.js', doc).href).toBe('https://x.test/proxy/psi/')
  })
})
