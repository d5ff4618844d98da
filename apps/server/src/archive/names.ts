/**
 * Entry names inside zip/tar.gz archives: `relativePath/name`, unique (case-insensitively, as
 * on Windows and macOS file systems), duplicates become `name (2).ext`, and a file never
 * takes a name that is also a folder of another entry.
 * @module
 */

export interface NamedFile {
  name: string
  relativePath: string
}

function splitExt(name: string): [base: string, ext: string] {
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot)]
}

export function uniqueEntryNames(files: readonly NamedFile[]): string[] {
  const folders = new Set<string>()
  for (const f of files) {
    if (!f.relativePath) continue
    const parts = f.relativePath.split('/')
    for (let i = 1; i <= parts.length; i++) folders.add(parts.slice(0, i).join('/').toLowerCase())
  }
  const used = new Set<string>()
  return files.map((f) => {
    const dir = f.relativePath ? `${f.relativePath}/` : ''
    const [base, ext] = splitExt(f.name)
    let candidate = `${dir}${f.name}`
    for (let n = 2; used.has(candidate.toLowerCase()) || folders.has(candidate.toLowerCase()); n++) {
      candidate = `${dir}${base} (${n})${ext}`
    }
    used.add(candidate.toLowerCase())
    return candidate
  })
}
