/**
 * Folder uploads: the server keeps `relativePath` (folder part) and `name` (basename) apart, and every
 * segment must be a safe basename (no separators, no control characters, not `.`/`..`, ≤ 255 chars,
 * no surrounding whitespace). We clean segments here so the server never rejects a folder upload.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we strip
const UNSAFE_CHARS = /[\u0000-\u001f\u007f\\]/g

/** One path segment made safe, or `null` when nothing usable is left (e.g. `..`). */
export function safeSegment(segment: string): string | null {
  let s = segment.replace(UNSAFE_CHARS, '_').trim()
  if (s === '' || s === '.' || s === '..') return null
  if (s.length > 255) {
    const dot = s.lastIndexOf('.')
    const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : ''
    s = s.slice(0, 255 - ext.length).trimEnd() + ext
  }
  return s
}

export interface SplitPath {
  name: string
  /** Folder part joined with `/`, or `''` for a file at the top level. */
  relativePath: string
}

/**
 * Splits `a/b/c.txt` (input `webkitRelativePath`) or `/a/b/c.txt` (drop entry `fullPath`) into
 * `{ relativePath: 'a/b', name: 'c.txt' }`. `fallbackName` is used when the path has no usable basename.
 */
export function splitPath(path: string, fallbackName = 'file'): SplitPath {
  const segments = path
    .split('/')
    .map(safeSegment)
    .filter((s): s is string => s !== null)
  const name = segments.pop() ?? safeSegment(fallbackName) ?? 'file'
  return { name, relativePath: segments.join('/') }
}

/** The path a person sees: `photos/2024/cat.jpg`. */
export function displayPath(f: SplitPath): string {
  return f.relativePath ? `${f.relativePath}/${f.name}` : f.name
}
