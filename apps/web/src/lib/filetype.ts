/** File categories for icons, and which files may be previewed and how. */

export type FileKind = 'image' | 'video' | 'audio' | 'pdf' | 'text' | 'code' | 'archive' | 'file'
export type PreviewKind = 'image' | 'video' | 'audio' | 'pdf' | 'text'

const TEXT_EXT = new Set(['txt', 'md', 'markdown', 'csv', 'tsv', 'log', 'rst', 'srt', 'vtt'])
const CODE_EXT = new Set([
  'json',
  'xml',
  'yml',
  'yaml',
  'toml',
  'ini',
  'conf',
  'cfg',
  'env',
  'sh',
  'bash',
  'zsh',
  'ps1',
  'bat',
  'js',
  'mjs',
  'cjs',
  'ts',
  'tsx',
  'jsx',
  'py',
  'rb',
  'go',
  'rs',
  'java',
  'kt',
  'c',
  'h',
  'cc',
  'cpp',
  'hpp',
  'cs',
  'php',
  'pl',
  'lua',
  'sql',
  'html',
  'htm',
  'css',
  'scss',
  'less',
  'svg',
  'vue',
  'svelte',
  'swift',
  'diff',
  'patch',
  'dockerfile',
  'makefile',
  'gitignore',
])
const ARCHIVE_EXT = new Set(['zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'tar', 'iso', 'dmg'])
const IMAGE_EXT = new Set(['jpg', 'jpeg', 'png', 'gif', 'webp', 'avif', 'bmp', 'ico'])
const VIDEO_EXT = new Set(['mp4', 'webm', 'ogv', 'mov', 'm4v'])
const AUDIO_EXT = new Set(['mp3', 'ogg', 'oga', 'opus', 'wav', 'flac', 'm4a', 'aac'])
const TEXTUAL_APP_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/x-sh',
  'application/x-shellscript',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/sql',
  'application/x-httpd-php',
  'application/xhtml+xml',
  'application/ld+json',
  'application/manifest+json',
  'image/svg+xml',
])

export function extension(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : name.toLowerCase()
}

function baseType(type: string | undefined): string {
  return (type ?? '').split(';')[0]!.trim().toLowerCase()
}

/** The category used for the icon. SVG counts as code: it is markup and never shown as an image. */
export function fileKind(type: string | undefined, name: string): FileKind {
  const t = baseType(type)
  const ext = extension(name)
  if (t === 'image/svg+xml' || ext === 'svg') return 'code'
  if (t.startsWith('image/') || IMAGE_EXT.has(ext)) return 'image'
  if (t.startsWith('video/') || VIDEO_EXT.has(ext)) return 'video'
  if (t.startsWith('audio/') || AUDIO_EXT.has(ext)) return 'audio'
  if (t === 'application/pdf' || ext === 'pdf') return 'pdf'
  if (CODE_EXT.has(ext) || TEXTUAL_APP_TYPES.has(t) || t === 'text/html') return 'code'
  if (t.startsWith('text/') || TEXT_EXT.has(ext)) return 'text'
  if (ARCHIVE_EXT.has(ext) || /zip|compressed|tar|gzip|x-7z|rar/.test(t)) return 'archive'
  return 'file'
}

export interface PreviewCandidate {
  name: string
  type?: string
  size: number
  oneTime: boolean
}

/**
 * How a file can be previewed, or `null`. Never for one-time files (a preview would consume them).
 * Images, PDFs and text are loaded whole, so they must fit `maxPreviewSize`; video and audio stream with
 * Range requests and have no size limit. SVG and HTML are only ever shown as source text.
 */
export function previewKind(file: PreviewCandidate, maxPreviewSize: number): PreviewKind | null {
  if (file.oneTime) return null
  const kind = fileKind(file.type, file.name)
  const fits = file.size <= maxPreviewSize
  switch (kind) {
    case 'video':
    case 'audio':
      return kind
    case 'image':
    case 'pdf':
      return fits ? kind : null
    case 'text':
    case 'code':
      return fits ? 'text' : null
    default:
      return null
  }
}
