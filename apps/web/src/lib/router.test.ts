import { describe, expect, it } from 'vitest'
import { appBase, routeOf } from './router.js'

describe('routeOf', () => {
  it('routes the three pages below the base', () => {
    expect(routeOf('/', '/')).toEqual({ page: 'upload' })
    expect(routeOf('/admin', '/')).toEqual({ page: 'admin' })
    expect(routeOf('/admin/', '/')).toEqual({ page: 'admin' })
    expect(routeOf('/AbC_12-x', '/')).toEqual({ page: 'download', sid: 'AbC_12-x' })
    expect(routeOf('/share/', '/share/')).toEqual({ page: 'upload' })
    expect(routeOf('/share/abc', '/share/')).toEqual({ page: 'download', sid: 'abc' })
  })

  it('refuses paths that are no bucket id', () => {
    expect(routeOf('/a/b', '/')).toEqual({ page: 'notFound' })
    expect(routeOf('/%E0%A4%A', '/')).toEqual({ page: 'notFound' })
    expect(routeOf('/..', '/')).toEqual({ page: 'notFound' })
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
