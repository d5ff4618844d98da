import { type SplitPath, splitPath } from '../lib/paths.js'

export interface PickedFile extends SplitPath {
  file: File
}

/** Files from `<input type=file>` (with `webkitdirectory` they carry `webkitRelativePath`). */
export function fromFileList(list: Iterable<File>): PickedFile[] {
  return [...list].map((file) => ({ file, ...splitPath(file.webkitRelativePath || file.name, file.name) }))
}

// Minimal shapes of the File and Directory Entries API, which is what drops of folders give us.
interface EntryLike {
  isFile: boolean
  isDirectory: boolean
  name: string
  fullPath: string
}
interface FileEntryLike extends EntryLike {
  file(ok: (f: File) => void, fail: (e: unknown) => void): void
}
interface DirEntryLike extends EntryLike {
  createReader(): { readEntries(ok: (entries: EntryLike[]) => void, fail: (e: unknown) => void): void }
}

/**
 * Files from a drop, walking dropped folders. The entries must be taken from the DataTransfer during the
 * drop event itself (they are gone afterwards), so this reads them synchronously and walks them later.
 */
export function fromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const items = [...(dt.items ?? [])].filter((i) => i.kind === 'file')
  const entries = items.map((i) => (i.webkitGetAsEntry?.() ?? null) as EntryLike | null)
  if (entries.length === 0 || entries.some((e) => e === null)) return Promise.resolve(fromFileList(dt.files))
  return walk(entries as EntryLike[])
}

export async function walk(entries: readonly EntryLike[]): Promise<PickedFile[]> {
  const out: PickedFile[] = []
  for (const entry of entries) {
    if (entry.isFile) {
      const file = await new Promise<File>((ok, fail) => (entry as FileEntryLike).file(ok, fail))
      out.push({ file, ...splitPath(entry.fullPath || entry.name, file.name) })
    } else if (entry.isDirectory) {
      out.push(...(await walk(await readAll(entry as DirEntryLike))))
    }
  }
  return out
}

/** readEntries returns at most 100 entries per call (Chromium): call until it returns none. */
async function readAll(dir: DirEntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader()
  const all: EntryLike[] = []
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail))
    if (batch.length === 0) return all
    all.push(...batch)
  }
}
