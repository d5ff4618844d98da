/**
 * The download page's side of end-to-end encryption: the key from the link's fragment, the sealed
 * names, and saving or previewing a file decrypted in the browser.
 */
import {
  base64urlEncode,
  E2EError,
  encodeKey,
  keyFromLink,
  openMetadata,
  plaintextSize,
} from '@psitransfer/e2e'
import type { BucketItem } from '../api/types.js'
import { type DecryptFailure, type DecryptJob, decryptUrl, failureOf } from './decrypt.js'

export type LinkKey =
  | { kind: 'ok'; key: Uint8Array }
  /** The link has no `#k=…`. */
  | { kind: 'missing' }
  /** There is a `k=` but it is not a key (cut short, mistyped). */
  | { kind: 'malformed' }

export function linkKey(href: string): LinkKey {
  try {
    const key = keyFromLink(href)
    return key ? { kind: 'ok', key } : { kind: 'missing' }
  } catch {
    return { kind: 'malformed' }
  }
}

/** An encrypted item as the page shows it: the sealed name, type… and the plaintext size. */
export interface OpenedItem extends BucketItem {
  /** The file's salt (base64url) from its metadata: the content must carry the same. */
  salt: string
  /** The ciphertext size the server lists. */
  cipherSize: number
}

export type OpenResult = { ok: true; items: BucketItem[] } | { ok: false; failure: DecryptFailure }

/** Opens the metadata of every encrypted item (plain items pass unchanged). */
export async function openItems(key: Uint8Array, items: readonly BucketItem[]): Promise<OpenResult> {
  try {
    const out: BucketItem[] = []
    for (const item of items) {
      if (!item.encrypted || !item.e2e) {
        out.push(item)
        continue
      }
      const { fields, fileSalt } = await openMetadata(key, item.e2e)
      const opened: OpenedItem = {
        ...item,
        name: fields.name || 'file',
        type: fields.type ?? '',
        comment: fields.comment ?? '',
        relativePath: fields.relativePath ?? '',
        size: plaintextSize(item.size),
        cipherSize: item.size,
        salt: base64urlEncode(fileSalt),
      }
      out.push(opened)
    }
    return { ok: true, items: out }
  } catch (err) {
    if (err instanceof E2EError) return { ok: false, failure: failureOf(err) }
    throw err
  }
}

export function isOpened(item: BucketItem): item is OpenedItem {
  return item.encrypted === true && typeof (item as Partial<OpenedItem>).salt === 'string'
}

function jobOf(item: OpenedItem, key: Uint8Array, absUrl: string): DecryptJob {
  return { url: absUrl, key: encodeKey(key), salt: item.salt, cipherSize: item.cipherSize }
}

/** Decrypts a (small) file into memory for a preview. */
export async function decryptToBlob(
  item: OpenedItem,
  key: Uint8Array,
  absUrl: string,
  signal?: AbortSignal,
): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = []
  for await (const chunk of decryptUrl(jobOf(item, key, absUrl), signal))
    parts.push(chunk as Uint8Array<ArrayBuffer>)
  return new Blob(parts, { type: item.type || 'application/octet-stream' })
}

export type SaveProgress = (bytes: number) => void

export class SaveError extends Error {
  constructor(
    readonly failure: DecryptFailure | 'unsupported',
    message: string,
  ) {
    super(message)
  }
}

let worker: Promise<ServiceWorker> | null = null

/** The download service worker (e2e-sw.js at the app's base), registered on first use. */
function downloadWorker(base: URL): Promise<ServiceWorker> {
  worker ??= (async () => {
    const reg = await navigator.serviceWorker.register(new URL('e2e-sw.js', base).href, {
      scope: base.pathname,
    })
    const sw = reg.active ?? reg.waiting ?? reg.installing
    if (!sw) throw new Error('no service worker')
    if (sw.state !== 'activated')
      await new Promise<void>((ok, fail) => {
        sw.addEventListener('statechange', () => {
          if (sw.state === 'activated') ok()
          else if (sw.state === 'redundant') fail(new Error('service worker failed'))
        })
      })
    return sw
  })()
  worker.catch(() => {
    worker = null
  })
  return worker
}

function randomId(): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(18)))
}

/** Streams the decrypted file to a download through the service worker. */
async function saveWithWorker(
  base: URL,
  item: OpenedItem,
  key: Uint8Array,
  absUrl: string,
  progress: SaveProgress,
): Promise<void> {
  const sw = await downloadWorker(base)
  const id = randomId()
  const channel = new MessageChannel()
  const ready = new Promise<void>((ok, fail) => {
    // A worker that does not take the job (an outdated one still in control) must not hang the page.
    const timer = setTimeout(() => fail(new Error('the service worker did not answer')), 10_000)
    channel.port1.onmessage = (e) => {
      if ((e.data as { type?: string }).type !== 'ready') return
      clearTimeout(timer)
      ok()
    }
  })
  sw.postMessage(
    {
      type: 'e2e-download',
      id,
      job: { ...jobOf(item, key, absUrl), name: item.name, size: item.size },
    },
    [channel.port2],
  )
  await ready
  const frame = document.createElement('iframe')
  frame.hidden = true
  frame.title = item.name
  try {
    await new Promise<void>((ok, fail) => {
      channel.port1.onmessage = (e) => {
        const d = e.data as { type: string; bytes?: number; failure?: DecryptFailure; message?: string }
        if (d.type === 'progress') progress(d.bytes ?? 0)
        else if (d.type === 'done') ok()
        else if (d.type === 'error') fail(new SaveError(d.failure ?? 'network', d.message ?? ''))
      }
      frame.src = new URL(`e2e-download/${id}`, base).href
      document.body.append(frame)
    })
  } finally {
    channel.port1.close()
    // The download continues in the browser's download manager once the frame handed it over.
    setTimeout(() => frame.remove(), 1000)
  }
}

interface SavePicker {
  showSaveFilePicker(o: { suggestedName: string }): Promise<{
    createWritable(): Promise<{
      write(b: Uint8Array): Promise<void>
      close(): Promise<void>
      abort(): Promise<void>
    }>
  }>
}

/** Writes the decrypted file through the File System Access API (where there is no service worker). */
async function saveWithPicker(item: OpenedItem, key: Uint8Array, absUrl: string, progress: SaveProgress) {
  const handle = await (window as unknown as SavePicker).showSaveFilePicker({ suggestedName: item.name })
  const out = await handle.createWritable()
  let sent = 0
  try {
    for await (const chunk of decryptUrl(jobOf(item, key, absUrl))) {
      await out.write(chunk)
      sent += chunk.length
      progress(sent)
    }
    await out.close()
  } catch (err) {
    await out.abort().catch(() => {})
    throw new SaveError(failureOf(err), err instanceof Error ? err.message : String(err))
  }
}

/** Decrypts `item` to disk as a stream: a service worker download, else the File System Access API. */
export async function saveDecrypted(
  base: URL,
  item: OpenedItem,
  key: Uint8Array,
  absUrl: string,
  progress: SaveProgress,
): Promise<void> {
  if ('serviceWorker' in navigator) {
    try {
      return await saveWithWorker(base, item, key, absUrl, progress)
    } catch (err) {
      if (err instanceof SaveError) throw err
      // Registration refused (private mode, http): try the other way.
    }
  }
  if ('showSaveFilePicker' in window) return saveWithPicker(item, key, absUrl, progress)
  throw new SaveError('unsupported', 'no service worker and no File System Access API')
}
