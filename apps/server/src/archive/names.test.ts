import { describe, expect, it } from 'vitest'
import { uniqueEntryNames } from './names.js'

describe('archive entry names', () => {
  it('keeps folders and makes duplicates unique, case-insensitively', () => {
    expect(
      uniqueEntryNames([
        { name: 'a.txt', relativePath: '' },
        { name: 'A.txt', relativePath: '' },
        { name: 'a.txt', relativePath: '' },
        { name: 'a.txt', relativePath: 'docs/2024' },
        { name: '.bashrc', relativePath: '' },
        { name: '.bashrc', relativePath: '' },
        { name: 'archive.tar.gz', relativePath: '' },
        { name: 'archive.tar.gz', relativePath: '' },
        { name: 'docs', relativePath: '' },
      ]),
    ).toEqual([
      'a.txt',
      'A (2).txt',
      'a (3).txt',
      'docs/2024/a.txt',
      '.bashrc',
      '.bashrc (2)',
      'archive.tar.gz',
      'archive.tar (2).gz',
      'docs (2)',
    ])
  })
})
