// @vitest-environment happy-dom
import { render } from 'preact'
import { act } from 'preact/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Api } from '../../api/client.js'
import { ApiError } from '../../api/http.js'
import type { ClientConfig } from '../../api/types.js'
import { UPLOAD_PASS_KEY } from '../../preload.js'
import type { PickedFile } from '../../upload/collect.js'
import { SESSION_KEY, type UploadSession } from '../../upload/session.js'
import { useBucketDraft } from './useBucketDraft.js'
import { useClientConfig } from './useClientConfig.js'
import { useLeaveGuard } from './useLeaveGuard.js'
import { useOnline } from './useOnline.js'

const roots: HTMLElement[] = []

/** Renders `use` in a component; `current()` is its latest result. */
function renderHook<T>(use: () => T): { current(): T } {
  let value: T
  const Probe = () => {
    value = use()
    return null
  }
  const root = document.createElement('div')
  roots.push(root)
  act(() => render(<Probe />, root))
  return { current: () => value }
}

const settle = () => act(() => new Promise<void>((r) => setTimeout(r, 0)))

afterEach(() => {
  for (const root of roots.splice(0)) act(() => render(null, root))
  localStorage.clear()
  sessionStorage.clear()
})

const config = (over: Partial<ClientConfig> = {}): ClientConfig => ({
  retentions: { '3600': '1 hour', '604800': '1 week' },
  retentionOrder: ['3600', '604800'],
  defaultRetention: '604800',
  customExpiry: true,
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
  tusEndpoint: 'files',
  chunkSize: 8388608,
  directUpload: null,
  randomDownloadSidLength: 22,
  defaultLanguage: 'en',
  languages: ['en'],
  ...over,
})

describe('useLeaveGuard', () => {
  it('asks before leaving only while busy', () => {
    let busy = false
    renderHook(() => useLeaveGuard(() => busy, 'Leave?'))
    const leave = () => {
      const e = new Event('beforeunload', { cancelable: true }) as BeforeUnloadEvent
      window.dispatchEvent(e)
      return e.defaultPrevented
    }
    expect(leave()).toBe(false)
    busy = true
    expect(leave()).toBe(true)
  })
})

describe('useOnline', () => {
  it('follows the browser and calls back when the connection returns', () => {
    const back = vi.fn()
    const hook = renderHook(() => useOnline(back))
    expect(hook.current()).toBe(true)
    act(() => {
      window.dispatchEvent(new Event('offline'))
    })
    expect(hook.current()).toBe(false)
    expect(back).not.toHaveBeenCalled()
    act(() => {
      window.dispatchEvent(new Event('online'))
    })
    expect(hook.current()).toBe(true)
    expect(back).toHaveBeenCalledOnce()
  })
})

describe('useClientConfig', () => {
  it('asks for the upload password on 401, keeps a right one for the tab, and says when one is wrong', async () => {
    const good = config()
    const api = {
      config: vi.fn((pass?: string) =>
        pass === 'right' ? Promise.resolve(good) : Promise.reject(new ApiError(401, 'AUTH', 'no')),
      ),
    } as unknown as Api
    const onConfig = vi.fn()
    const hook = renderHook(() => useClientConfig(api, {}, onConfig))
    expect(hook.current().state).toEqual({ kind: 'loading' })
    await settle()
    expect(hook.current().state).toEqual({ kind: 'needPass', busy: false, error: undefined })

    act(() => hook.current().submitUploadPass('wrong'))
    expect(hook.current().state).toEqual({ kind: 'needPass', busy: true })
    await settle()
    expect(hook.current().state).toEqual({
      kind: 'needPass',
      busy: false,
      error: 'Wrong password. Please try again.',
    })
    expect(onConfig).not.toHaveBeenCalled()

    act(() => hook.current().submitUploadPass('right'))
    await settle()
    expect(hook.current().state).toEqual({ kind: 'ready', config: good })
    expect(hook.current().uploadPass).toBe('right')
    expect(sessionStorage.getItem(UPLOAD_PASS_KEY)).toBe('right')
    expect(onConfig).toHaveBeenCalledWith(good)
  })

  it('uses the preloaded request, and tells other failures apart', async () => {
    const api = { config: vi.fn() } as unknown as Api
    // Requested before the page renders, as preload.ts does (which also marks them handled).
    const failing = (e: ApiError) => {
      const config = Promise.reject(e)
      config.catch(() => {})
      return { config }
    }
    const limitedPreload = failing(new ApiError(429, 'RATE', 'slow'))
    const downPreload = failing(new ApiError(0, 'NETWORK', 'x'))
    const limited = renderHook(() => useClientConfig(api, limitedPreload, () => {}))
    const down = renderHook(() => useClientConfig(api, downPreload, () => {}))
    await settle()
    expect(api.config).not.toHaveBeenCalled()
    expect(limited.current().state).toMatchObject({
      kind: 'needPass',
      error: expect.stringMatching(/Too many/),
    })
    expect(down.current().state).toEqual({
      kind: 'failed',
      message: 'The server cannot be reached. Check your connection and try again.',
    })
  })
})

describe('useBucketDraft', () => {
  const pick = (name: string): PickedFile => ({
    name,
    relativePath: '',
    file: new File(['ab'], name, { lastModified: 1 }),
  })

  it('makes an id of the configured length, picks the default retention, and notes duplicates', () => {
    const hook = renderHook(() => useBucketDraft(localStorage))
    expect(hook.current().sid).toHaveLength(22)
    act(() => hook.current().applyConfig(config({ randomDownloadSidLength: 40 })))
    expect(hook.current().sid).toHaveLength(40)
    expect(hook.current().retention).toBe('604800')

    act(() => hook.current().addFiles([pick('a.txt')]))
    act(() => hook.current().addFiles([pick('a.txt'), pick('b.txt')]))
    expect(hook.current().entries.map((e) => e.name)).toEqual(['a.txt', 'b.txt'])
    expect(hook.current().notices).toEqual(['a.txt was already added.'])

    act(() => hook.current().changePassword('p'))
    act(() => hook.current().clear(config({ randomDownloadSidLength: 16 })))
    expect(hook.current()).toMatchObject({ entries: [], password: '', notices: [], restored: null })
    expect(hook.current().sid).toHaveLength(16)
  })

  it('continues a saved session: its id and retention stay whatever the config says', () => {
    const saved: UploadSession = {
      v: 1,
      sid: 'restoredBucketId',
      retention: '3600',
      password: 'pw',
      createdAt: 5,
      files: [
        { name: 'a.txt', relativePath: '', size: 2, lastModified: 1, type: '', comment: '', done: false },
      ],
    }
    localStorage.setItem(SESSION_KEY, JSON.stringify(saved))
    const hook = renderHook(() => useBucketDraft(localStorage))
    act(() => hook.current().applyConfig(config({ randomDownloadSidLength: 40 })))
    expect(hook.current()).toMatchObject({ sid: 'restoredBucketId', retention: '3600', password: 'pw' })
    expect(hook.current().entries.map((e) => e.status)).toEqual(['needsFile'])
    // A retention the server no longer offers falls back to its default.
    act(() => hook.current().setRetention('1'))
    act(() => hook.current().applyConfig(config()))
    expect(hook.current().retention).toBe('604800')
  })
})
