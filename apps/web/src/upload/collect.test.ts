import { describe, expect, it } from 'vitest'
import { fromFileList, walk } from './collect.js'

const f = (name: string, relative = '') => {
  const file = new File(['x'], name)
  if (relative) Object.defineProperty(file, 'webkitRelativePath', { value: relative })
  return file
}

const fileEntry = (fullPath: string) => {
  const name = fullPath.split('/').pop()!
  return {
    isFile: true,
    isDirectory: false,
    name,
    fullPath,
    file: (ok: (x: File) => void) => ok(new File(['x'], name)),
  }
}

/** A directory whose reader hands out entries in batches of 2, as Chromium does with 100. */
const dirEntry = (fullPath: string, children: unknown[]) => ({
  isFile: false,
  isDirectory: true,
  name: fullPath.split('/').pop()!,
  fullPath,
  createReader() {
    let i = 0
    return {
      readEntries(ok: (e: unknown[]) => void) {
        const batch = children.slice(i, i + 2)
        i += 2
        ok(batch)
      },
    }
  },
})

describe('fromFileList', () => {
  it('keeps the folder of files picked with webkitdirectory', () => {
    const picked = fromFileList([f('a.txt'), f('b.txt', 'photos/2024/b.txt')])
    expect(picked.map((p) => [p.relativePath, p.name])).toEqual([
      ['', 'a.txt'],
      ['photos/2024', 'b.txt'],
    ])
  })
})

describe('walk', () => {
  it('walks dropped folders completely, reading every batch', async () => {
    const tree = [
      fileEntry('/top.txt'),
      dirEntry('/docs', [
        fileEntry('/docs/1.txt'),
        fileEntry('/docs/2.txt'),
        fileEntry('/docs/3.txt'),
        dirEntry('/docs/sub', [fileEntry('/docs/sub/deep.txt')]),
      ]),
    ]
    const picked = await walk(tree as never)
    expect(picked.map((p) => `${p.relativePath}|${p.name}`)).toEqual([
      '|top.txt',
      'docs|1.txt',
      'docs|2.txt',
      'docs|3.txt',
      'docs/sub|deep.txt',
    ])
  })
})
