// @vitest-environment happy-dom
import { render } from 'preact'
import { act } from 'preact/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Api } from '../../api/client.js'
import { ShareMailForm } from './ShareMailForm.js'

const SECRET = 'm'.repeat(32)

function mount() {
  const root = document.createElement('div')
  document.body.append(root)
  act(() => {
    render(
      <ShareMailForm api={new Api(new URL('http://files.test/psi/'))} sid="abc" token={SECRET} id="t" />,
      root,
    )
  })
  const to = root.querySelector<HTMLInputElement>('#t-to')!
  const message = root.querySelector<HTMLTextAreaElement>('#t-message')!
  const type = (el: HTMLInputElement | HTMLTextAreaElement, value: string) =>
    act(() => {
      el.value = value
      el.dispatchEvent(new Event('input', { bubbles: true }))
    })
  const submit = async () => {
    await act(async () => {
      root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
      await new Promise((r) => setTimeout(r, 0))
    })
  }
  return { root, to, message, type, submit }
}

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('ShareMailForm', () => {
  it('refuses a list of addresses before asking the server, marking the field', async () => {
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    const f = mount()
    f.type(f.to, 'anna@example.org, eve@evil.example')
    await f.submit()
    expect(fetch).not.toHaveBeenCalled()
    expect(f.root.querySelector('[role="alert"]')?.textContent).toBe(
      'Please enter one valid e-mail address, like name@example.com.',
    )
    expect(f.to.getAttribute('aria-invalid')).toBe('true')
    expect(f.to.getAttribute('aria-describedby')).toBe('t-hint t-status')
  })

  it('posts the address, the message and the language with the manage secret, then says so', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ queued: true }), { status: 202 }))
    vi.stubGlobal('fetch', fetch)
    const f = mount()
    f.type(f.to, ' anna@example.org ')
    f.type(f.message, 'Hello Anna')
    await f.submit()
    expect(fetch).toHaveBeenCalledTimes(1)
    const [url, init] = fetch.mock.calls[0] as unknown as [URL, RequestInit]
    expect(String(url)).toBe('http://files.test/psi/api/manage/abc/mail')
    expect(init.method).toBe('POST')
    expect((init.headers as Record<string, string>)['X-Manage-Token']).toBe(SECRET)
    expect(JSON.parse(String(init.body))).toEqual({
      to: 'anna@example.org',
      message: 'Hello Anna',
      lang: 'en',
    })
    expect(f.root.querySelector('[role="status"]')?.textContent).toBe(
      'The link was sent to anna@example.org.',
    )
    expect(f.to.value).toBe('')
  })

  it('tells the quota, an address the server refused and a server without mail apart', async () => {
    const answers = [
      { status: 429, code: 'RATE_LIMITED', message: 'Too many mails for this share; try again in an hour' },
      {
        status: 400,
        code: 'INVALID_INPUT',
        message: 'This is not a single valid e-mail address: use the form name@example.com',
      },
      { status: 404, code: 'NOT_FOUND', message: 'This server sends no e-mail (smtpUrl is not configured)' },
    ]
    const expected = [
      'Too many e-mails for this share. Please try again in an hour.',
      'Please enter one valid e-mail address, like name@example.com.',
      'This server cannot send e-mails.',
    ]
    const f = mount()
    for (const [i, a] of answers.entries()) {
      vi.stubGlobal('fetch', async () => new Response(JSON.stringify(a), { status: a.status }))
      f.type(f.to, 'anna@example.org')
      await f.submit()
      expect(f.root.querySelector('[role="alert"]')?.textContent).toBe(expected[i])
    }
  })
})
