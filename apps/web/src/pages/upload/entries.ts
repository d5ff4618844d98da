import { displayPath } from '../../lib/paths.js'
import type { PickedFile } from '../../upload/collect.js'
import type { QueueEntry } from '../../upload/queue.js'
import {
  type FileIdentity,
  matchRestored,
  type SessionFile,
  type UploadSession,
} from '../../upload/session.js'

let nextId = 1

export function entryOf(p: PickedFile): QueueEntry {
  return {
    id: nextId++,
    file: p.file,
    name: p.name,
    relativePath: p.relativePath,
    size: p.file.size,
    type: p.file.type,
    lastModified: p.file.lastModified,
    comment: '',
    status: 'queued',
    sent: 0,
    rate: 0,
    eta: null,
  }
}

/** A restored session's files: the finished ones done, the others waiting for the user to add them again. */
export function restoredEntries(s: UploadSession): QueueEntry[] {
  return s.files.map((f) => ({
    id: nextId++,
    file: null,
    ...f,
    status: f.done ? 'done' : 'needsFile',
    sent: f.done ? f.size : 0,
    rate: 0,
    eta: null,
  }))
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.name === b.name &&
    a.relativePath === b.relativePath &&
    a.size === b.size &&
    a.lastModified === b.lastModified
  )
}

/**
 * Adds picked files to the list (a copy; `current` is not changed). A file a restored entry waits for
 * fills that entry; a file already listed is skipped and its path returned in `skipped`.
 */
export function addPicked(
  current: readonly QueueEntry[],
  picked: readonly PickedFile[],
): { entries: QueueEntry[]; skipped: string[] } {
  const entries = current.map((e) => ({ ...e }))
  const skipped: string[] = []
  for (const p of picked) {
    const identity = {
      name: p.name,
      relativePath: p.relativePath,
      size: p.file.size,
      lastModified: p.file.lastModified,
    }
    const waiting = matchRestored(
      entries.filter((e) => e.status === 'needsFile'),
      identity,
    )
    if (waiting) {
      waiting.file = p.file
      waiting.status = 'queued'
      continue
    }
    if (entries.some((e) => sameFile(e, identity))) skipped.push(displayPath(p))
    else entries.push(entryOf(p))
  }
  return { entries, skipped }
}

/** What the session keeps of each entry, so a reload can ask for the unfinished files again. */
export function sessionFiles(entries: readonly QueueEntry[]): SessionFile[] {
  return entries.map((e) => ({
    name: e.name,
    relativePath: e.relativePath,
    size: e.size,
    lastModified: e.lastModified,
    type: e.type,
    comment: e.comment,
    done: e.status === 'done',
  }))
}
