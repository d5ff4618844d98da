import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api/http.js'
import type { ClientConfig } from '../../api/types.js'
import { en, translator } from '../../i18n/index.js'
import type { QueueEntry } from '../../upload/queue.js'
import { errorText, limitProblems, passwordProblem } from './messages.js'

const t = translator(en)

describe('errorText', () => {
  it('names the cause a person can act on', () => {
    expect(errorText(new ApiError(0, 'NETWORK', 'fetch failed'), t)).toBe(en.networkError)
    expect(errorText(new ApiError(429, 'RATE', 'slow down'), t)).toBe(en.tooManyAttempts)
    expect(errorText(new ApiError(500, 'X', 'disk full'), t)).toBe('The server reported an error: disk full')
    expect(errorText(new Error('boom'), t)).toBe('The server reported an error: boom')
    expect(errorText('odd', t)).toBe('The server reported an error: odd')
  })
})

describe('limitProblems', () => {
  const config = { maxFileSize: 1000, maxBucketSize: 1500 } as ClientConfig
  const entry = (name: string, size: number, relativePath = '') =>
    ({ name, relativePath, size }) as QueueEntry

  it('says which file is too large and when all together are', () => {
    expect(limitProblems([entry('a', 1000), entry('b', 500)], config, t, 'en')).toEqual([])
    expect(limitProblems([entry('big.iso', 2000, 'dl'), entry('b', 500)], config, t, 'en')).toEqual([
      'dl/big.iso is 2 kB, more than the maximum file size of 1 kB.',
      'All files together are 2.5 kB, more than the maximum of 1.5 kB.',
    ])
  })
})

describe('passwordProblem', () => {
  it('asks for a password only where one is required, and refuses control characters', () => {
    expect(passwordProblem('', false, t)).toBeUndefined()
    expect(passwordProblem('', true, t)).toBe(en.passwordMissing)
    expect(passwordProblem('ok pass', true, t)).toBeUndefined()
    expect(passwordProblem('tab\there', false, t)).toBe(en.passwordCharacters)
  })
})
