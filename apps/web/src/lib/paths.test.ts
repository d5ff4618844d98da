import { describe, expect, it } from 'vitest'
import { displayPath, safeSegment, splitPath } from './paths.js'

describe('splitPath', () => {
  it('splits input webkitRelativePath and drop fullPath', () => {
    expect(splitPath('photos/2024/cat.jpg')).toEqual({ relativePath: 'photos/2024', name: 'cat.jpg' })
    expect(splitPath('/photos/cat.jpg')).toEqual({ relativePath: 'photos', name: 'cat.jpg' })
    expect(splitPath('cat.jpg')).toEqual({ relativePath: '', name: 'cat.jpg' })
  })

  it('drops traversal segments and cleans unsafe characters', () => {
    expect(splitPath('../../etc/passwd')).toEqual({ relativePath: 'etc', name: 'passwd' })
    expect(splitPath('a/./b\\c/ d .txt')).toEqual({ relativePath: 'a/b_c', name: 'd .txt' })
    expect(splitPath('x/\u0000evil\u001f.txt').name).toBe('_evil_.txt')
  })

  it('falls back to the file name when nothing usable is left', () => {
    expect(splitPath('..', 'report.pdf')).toEqual({ relativePath: '', name: 'report.pdf' })
    expect(splitPath('', '')).toEqual({ relativePath: '', name: 'file' })
  })
})

describe('safeSegment', () => {
  it('shortens long names to 255 characters keeping the extension', () => {
    const s = safeSegment(`${'a'.repeat(300)}.txt`)!
    expect(s).toHaveLength(255)
    expect(s.endsWith('.txt')).toBe(true)
  })

  it('keeps names that look like markup as they are (they are shown as text)', () => {
    expect(safeSegment('<img src=x onerror=alert(1)>.svg')).toBe('<img src=x onerror=alert(1)>.svg')
  })
})

describe('displayPath', () => {
  it('joins folder and name', () => {
    expect(displayPath({ relativePath: 'a/b', name: 'c' })).toBe('a/b/c')
    expect(displayPath({ relativePath: '', name: 'c' })).toBe('c')
  })
})
