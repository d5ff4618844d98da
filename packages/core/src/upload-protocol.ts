/**
 * Which protocol created an upload. TUS 1.0 and the IETF resumable-upload draft share stores,
 * locks and hooks, but an upload is resumed only with the protocol that created it: their
 * offsets and completion rules differ (the draft completes only on `Upload-Complete: ?1`).
 * The draft's machine records itself in the file's `extra`; TUS uploads carry no mark.
 * @module
 */
import type { FileMeta } from './meta.js'

/** The `extra` key recording which protocol created an upload (reserved: clients cannot set it). */
export const UPLOAD_PROTOCOL_KEY = 'protocol'
/** Its value for uploads of the IETF resumable-upload machine. */
export const RESUMABLE_PROTOCOL = 'ietf-resumable'

export function isResumableUpload(meta: Pick<FileMeta, 'extra'>): boolean {
  return meta.extra[UPLOAD_PROTOCOL_KEY] === RESUMABLE_PROTOCOL
}
