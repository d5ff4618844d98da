// @vitest-environment happy-dom
import { render } from 'preact'
import { act } from 'preact/test-utils'
import { describe, expect, it, vi } from 'vitest'
import type { QueueEntry } from '../../upload/queue.js'
import { FileList } from './FileList.js'

const entry = (over: Partial<QueueEntry>): QueueEntry => ({
  id: 1,
  file: null,
  name: 'a.txt',
  relativePath: '',
  size: 1500,
  type: 'text/plain',
  lastModified: 1,
  comment: '',
  status: 'queued',
  sent: 0,
  rate: 0,
  eta: null,
  ...over,
})

function mount(entries: QueueEntry[], editable: boolean) {
  const root = document.createElement('div')
  const handlers = {
    onComment: vi.fn(),
    onRemove: vi.fn(),
    onPause: vi.fn(),
    onResume: vi.fn(),
    onRetry: vi.fn(),
  }
  act(() => {
    render(<FileList entries={entries} editable={editable} {...handlers} />, root)
  })
  return { root, ...handlers }
}

describe('FileList', () => {
  it('shows folder paths and markup-like names as text, with labelled controls', () => {
    const evil = '<img src=x onerror=alert(1)>.svg'
    const { root, onRemove, onComment } = mount(
      [entry({ id: 7, name: evil, relativePath: 'pics/2024', type: 'image/svg+xml' })],
      true,
    )
    expect(root.querySelector('.file-name')!.textContent).toBe(`pics/2024/${evil}`)
    expect(root.querySelectorAll('img')).toHaveLength(0)
    const comment = root.querySelector<HTMLInputElement>('input.file-comment')!
    expect(comment.getAttribute('aria-label')).toBe(`Comment for pics/2024/${evil}`)
    act(() => {
      comment.value = 'hello'
      comment.dispatchEvent(new Event('input', { bubbles: true }))
    })
    expect(onComment).toHaveBeenCalledWith(7, 'hello')
    const remove = root.querySelector<HTMLButtonElement>(`button[aria-label="Remove pics/2024/${evil}"]`)!
    act(() => remove.click())
    expect(onRemove).toHaveBeenCalledWith(7)
  })

  it('shows progress and the matching action for each state while uploading', () => {
    const { root, onPause, onRetry } = mount(
      [
        entry({ id: 1, name: 'up', status: 'uploading', sent: 750 }),
        entry({ id: 2, name: 'bad', status: 'error', error: 'File too large' }),
        entry({ id: 3, name: 'ok', status: 'done', sent: 1500 }),
      ],
      false,
    )
    const bars = [...root.querySelectorAll('progress')]
    expect(bars.map((b) => b.getAttribute('value'))).toEqual(['750', '0', '1500'])
    expect(bars[0]!.getAttribute('aria-label')).toBe('Progress of up')
    expect(root.textContent).toContain('Failed: File too large')
    act(() => root.querySelector<HTMLButtonElement>('button[aria-label="Pause up"]')!.click())
    act(() => root.querySelector<HTMLButtonElement>('button[aria-label="Retry bad"]')!.click())
    expect(onPause).toHaveBeenCalledWith(1)
    expect(onRetry).toHaveBeenCalledWith(2)
    expect(root.querySelector('input.file-comment')).toBeNull()
  })
})
