// @vitest-environment happy-dom
import { render } from 'preact'
import { act } from 'preact/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BucketItem } from '../../api/types.js'
import { PreviewModal } from './PreviewModal.js'

const item = (name: string, type: string, size = 100): BucketItem => ({
  key: name,
  name,
  relativePath: '',
  comment: '',
  type,
  size,
  createdAt: 0,
  expiresAt: null,
  oneTime: false,
  downloaded: false,
  downloadsLeft: null,
  url: `/files/S++${encodeURIComponent(name)}?token=t`,
})

const xss = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

async function show(items: BucketItem[], index = 0, onIndex = vi.fn(), onClose = vi.fn()) {
  const root = document.createElement('div')
  document.body.append(root)
  await act(async () => {
    render(
      <PreviewModal
        items={items}
        index={index}
        maxPreviewSize={1000}
        urlOf={(u) => new URL(u, 'https://psi.test/').href}
        onIndex={onIndex}
        onClose={onClose}
      />,
      root,
    )
  })
  // let the text fetch resolve
  await act(async () => {
    await new Promise((r) => setTimeout(r, 10))
  })
  return { root, onIndex, onClose }
}

describe('PreviewModal', () => {
  it('inserts text content as text, never as markup, from the inline URL', async () => {
    const fetched: string[] = []
    vi.stubGlobal('fetch', async (url: string) => {
      fetched.push(url)
      return new Response(xss)
    })
    const { root } = await show([item('evil.svg', 'image/svg+xml')])
    expect(fetched).toEqual(['https://psi.test/files/S++evil.svg?token=t&inline=1'])
    const pre = root.querySelector('pre')!
    expect(pre.textContent).toBe(xss)
    expect(root.querySelector('pre img, pre script')).toBeNull()
    expect(root.querySelectorAll('img')).toHaveLength(0)
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined()
  })

  it('toggles line wrapping', async () => {
    vi.stubGlobal('fetch', async () => new Response('a long line'))
    const { root } = await show([item('a.txt', 'text/plain')])
    const pre = root.querySelector('pre')!
    expect(pre.className).toBe('wrap')
    const box = root.querySelector<HTMLInputElement>('input[type=checkbox]')!
    await act(async () => {
      box.click()
    })
    expect(root.querySelector('pre')!.className).toBe('nowrap')
  })

  it('shows images from the inline URL with the file name as alt text', async () => {
    const { root } = await show([item('cat.png', 'image/png')])
    const img = root.querySelector('img')!
    expect(img.getAttribute('src')).toBe('https://psi.test/files/S++cat.png?token=t&inline=1')
    expect(img.getAttribute('alt')).toBe('cat.png')
  })

  it('moves with ← and → (wrapping around) and closes on Escape', async () => {
    const items = [item('a.png', 'image/png'), item('b.png', 'image/png'), item('c.png', 'image/png')]
    const { root, onIndex, onClose } = await show(items, 0)
    const dialog = root.querySelector('dialog')!
    await act(async () => {
      dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }))
      dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }))
      dialog.dispatchEvent(new Event('cancel', { cancelable: true }))
    })
    expect(onIndex.mock.calls).toEqual([[1], [2]])
    expect(onClose).toHaveBeenCalledOnce()
  })
})
