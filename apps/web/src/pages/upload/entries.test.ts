import { describe, expect, it } from 'vitest'
import type { PickedFile } from '../../upload/collect.js'
import type { UploadSession } from '../../upload/session.js'
import { addPicked, restoredEntries, sessionFiles } from './entries.js'

const picked = (name: string, relativePath = '', size = 3, lastModified = 1000): PickedFile => ({
  name,
  relativePath,
  file: new File(['x'.repeat(size)], name, { lastModified, type: 'text/plain' }),
})

const session = (files: UploadSession['files']): UploadSession => ({
  v: 1,
  sid: 'abc',
  retention: '3600',
  password: '',
  createdAt: 1,
  files,
})

describe('addPicked', () => {
  it('adds new files, skips ones already listed (by folder, name, size and date), and keeps the input', () => {
    const first = addPicked([], [picked('a.txt'), picked('b.txt', 'docs')])
    expect(first.entries.map((e) => [e.relativePath, e.name, e.status])).toEqual([
      ['', 'a.txt', 'queued'],
      ['docs', 'b.txt', 'queued'],
    ])
    expect(first.skipped).toEqual([])
    const second = addPicked(first.entries, [
      picked('b.txt', 'docs'),
      picked('b.txt'), // another folder: a different file
      picked('a.txt', '', 4), // another size: a different file
    ])
    expect(second.skipped).toEqual(['docs/b.txt'])
    expect(second.entries).toHaveLength(4)
    expect(first.entries).toHaveLength(2)
    expect(new Set(second.entries.map((e) => e.id)).size).toBe(4)
  })

  it('gives a restored entry its file again instead of adding it, also when the folder was lost', () => {
    const restored = restoredEntries(
      session([
        {
          name: 'x.bin',
          relativePath: 'dir',
          size: 3,
          lastModified: 1000,
          type: '',
          comment: 'c',
          done: false,
        },
        { name: 'y.bin', relativePath: '', size: 3, lastModified: 1000, type: '', comment: '', done: true },
      ]),
    )
    expect(restored.map((e) => [e.status, e.sent, e.file])).toEqual([
      ['needsFile', 0, null],
      ['done', 3, null],
    ])
    const file = picked('x.bin') // dropped alone: no folder
    const { entries, skipped } = addPicked(restored, [file])
    expect(skipped).toEqual([])
    expect(entries).toHaveLength(2)
    expect(entries[0]).toMatchObject({ status: 'queued', file: file.file, relativePath: 'dir', comment: 'c' })
    expect(restored[0]!.status).toBe('needsFile')
    // A finished file added again is a duplicate, not a second upload.
    expect(addPicked(entries, [picked('y.bin')]).skipped).toEqual(['y.bin'])
  })
})

describe('sessionFiles', () => {
  it('keeps identity, type, comment and whether each file is done', () => {
    const { entries } = addPicked([], [picked('a.txt', 'd')])
    entries[0]!.comment = 'hi'
    entries.push({ ...entries[0]!, id: 99, name: 'b.txt', status: 'done' })
    expect(sessionFiles(entries)).toEqual([
      {
        name: 'a.txt',
        relativePath: 'd',
        size: 3,
        lastModified: 1000,
        type: 'text/plain',
        comment: 'hi',
        done: false,
      },
      {
        name: 'b.txt',
        relativePath: 'd',
        size: 3,
        lastModified: 1000,
        type: 'text/plain',
        comment: 'hi',
        done: true,
      },
    ])
  })
})
