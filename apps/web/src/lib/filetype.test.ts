import { describe, expect, it } from 'vitest'
import { fileKind, previewKind } from './filetype.js'

const file = (name: string, type: string, size = 100, oneTime = false) => ({ name, type, size, oneTime })

describe('fileKind', () => {
  it('classifies by type, then by extension', () => {
    expect(fileKind('image/png', 'x.png')).toBe('image')
    expect(fileKind('', 'x.JPG')).toBe('image')
    expect(fileKind('video/mp4', 'x')).toBe('video')
    expect(fileKind('audio/mpeg', 'x')).toBe('audio')
    expect(fileKind('application/pdf', 'x')).toBe('pdf')
    expect(fileKind('text/plain; charset=utf-8', 'x')).toBe('text')
    expect(fileKind('application/octet-stream', 'main.ts')).toBe('code')
    expect(fileKind('application/zip', 'x.zip')).toBe('archive')
    expect(fileKind('application/octet-stream', 'x.bin')).toBe('file')
  })

  it('never treats SVG as an image', () => {
    expect(fileKind('image/svg+xml', 'x.svg')).toBe('code')
    expect(fileKind('image/png', 'x.svg')).toBe('code')
  })
})

describe('previewKind', () => {
  it('previews images, PDFs and text up to maxPreviewSize', () => {
    expect(previewKind(file('a.png', 'image/png', 100), 100)).toBe('image')
    expect(previewKind(file('a.png', 'image/png', 101), 100)).toBeNull()
    expect(previewKind(file('a.pdf', 'application/pdf'), 1000)).toBe('pdf')
    expect(previewKind(file('a.txt', 'text/plain'), 1000)).toBe('text')
    expect(previewKind(file('a.txt', 'text/plain', 2000), 1000)).toBeNull()
  })

  it('streams video and audio whatever their size', () => {
    expect(previewKind(file('a.mp4', 'video/mp4', 1e9), 1000)).toBe('video')
    expect(previewKind(file('a.mp3', 'audio/mpeg', 1e9), 1000)).toBe('audio')
  })

  it('shows SVG and HTML only as source text', () => {
    expect(previewKind(file('a.svg', 'image/svg+xml'), 1000)).toBe('text')
    expect(previewKind(file('a.html', 'text/html'), 1000)).toBe('text')
  })

  it('never previews one-time files', () => {
    expect(previewKind(file('a.png', 'image/png', 1, true), 1000)).toBeNull()
    expect(previewKind(file('a.txt', 'text/plain', 1, true), 1000)).toBeNull()
  })

  it('has no preview for unknown binaries', () => {
    expect(previewKind(file('a.bin', 'application/octet-stream'), 1000)).toBeNull()
  })
})
