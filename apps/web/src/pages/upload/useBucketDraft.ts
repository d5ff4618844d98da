import { useCallback, useRef, useState } from 'preact/hooks'
import type { ClientConfig } from '../../api/types.js'
import { useI18n } from '../../i18n/context.js'
import { newBucketId, sidLength } from '../../lib/ids.js'
import { isCustom, UNTIL_DELETED } from '../../lib/retention.js'
import type { PickedFile } from '../../upload/collect.js'
import type { QueueEntry } from '../../upload/queue.js'
import { loadSession, type UploadSession } from '../../upload/session.js'
import { addPicked, restoredEntries } from './entries.js'

/** A retention the config offers: the current one if it still exists, else the default, else the first. */
function offeredRetention(current: string, c: ClientConfig): string {
  if (current && current in c.retentions) return current
  if (isCustom(current) && c.customExpiry) return current
  if (current === UNTIL_DELETED && c.untilDeleted) return current
  return c.defaultRetention in c.retentions ? c.defaultRetention : (Object.keys(c.retentions)[0] ?? '')
}

/**
 * The bucket being put together before (and while) it uploads: its id, files and settings, starting from
 * the session an earlier page load left unfinished, if any.
 */
export function useBucketDraft(local: Storage | null) {
  const { t } = useI18n()
  const [restored, setRestored] = useState<UploadSession | null>(() => (local ? loadSession(local) : null))
  // Until config.json says how long ids are (randomDownloadSidLength), a default-length id; a
  // restored session keeps its own.
  const [sid, setSid] = useState(() => restored?.sid ?? newBucketId())
  const restoredSid = useRef(restored?.sid)
  const [entries, setEntries] = useState<QueueEntry[]>(() => (restored ? restoredEntries(restored) : []))
  const [retention, setRetention] = useState(restored?.retention ?? '')
  const [password, setPassword] = useState(restored?.password ?? '')
  const [maxDownloads, setMaxDownloads] = useState(restored?.maxDownloads ?? '')
  const [passwordError, setPasswordError] = useState<string>()
  // The uploader's own address for the first-download notice (set through the manage API after the lock).
  const [notifyEmail, setNotifyEmail] = useState(restored?.notifyEmail ?? '')
  const [notifyError, setNotifyError] = useState<string>()
  const [notices, setNotices] = useState<string[]>([])
  // "Encrypt in the browser": a restored session keeps what it started with.
  const [encrypt, setEncrypt] = useState(restored?.e2e !== undefined)

  const applyConfig = useCallback((c: ClientConfig) => {
    // Nothing was uploaded under the provisional id yet (the page waited for this config).
    const length = sidLength(c.randomDownloadSidLength)
    setSid((s) => (s === restoredSid.current || s.length === length ? s : newBucketId(length)))
    setRetention((r) => offeredRetention(r, c))
  }, [])

  const addFiles = useCallback(
    (picked: PickedFile[]) => {
      let skipped: string[] = []
      setEntries((current) => {
        const added = addPicked(current, picked)
        skipped = added.skipped
        return added.entries
      })
      setNotices(skipped.map((name) => t('duplicateSkipped', { name })))
    },
    [t],
  )

  const setComment = (id: number, comment: string) =>
    setEntries((es) => es.map((e) => (e.id === id ? { ...e, comment } : e)))
  const remove = (id: number) => setEntries((es) => es.filter((e) => e.id !== id))
  const changePassword = (v: string) => {
    setPassword(v)
    setPasswordError(undefined)
  }
  const changeNotifyEmail = (v: string) => {
    setNotifyEmail(v)
    setNotifyError(undefined)
  }

  /** Forgets the files and the restored session: a new, empty bucket with a new id. */
  const clear = (config: ClientConfig | null) => {
    setRestored(null)
    setEntries([])
    restoredSid.current = undefined
    setSid(newBucketId(sidLength(config?.randomDownloadSidLength)))
    setPassword('')
    setEncrypt(false)
    setMaxDownloads('')
    setNotifyEmail('')
    setNotifyError(undefined)
    setNotices([])
    if (config)
      setRetention(config.defaultRetention in config.retentions ? config.defaultRetention : retention)
  }

  return {
    restored,
    sid,
    entries,
    retention,
    password,
    maxDownloads,
    passwordError,
    notices,
    encrypt,
    setEncrypt,
    applyConfig,
    addFiles,
    setComment,
    remove,
    setRetention,
    setMaxDownloads,
    changePassword,
    setPasswordError,
    notifyEmail,
    notifyError,
    changeNotifyEmail,
    setNotifyError,
    clear,
  }
}

export type BucketDraft = ReturnType<typeof useBucketDraft>
