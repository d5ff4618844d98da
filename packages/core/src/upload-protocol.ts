/**
 * Which protocol created an upload. TUS 1.0 and the IETF resumable-upload draft share stores,
 * locks and hooks, but an upload is resumed only with the protocol that created it: their
 * offsets and completion rules differ (the draft completes only on `Upload-Complete: ?1`).
 * The draft's machine records itself in the file's `extra`, so do other ways in (the server's
 * direct-to-S3 uploads); TUS uploads carry no mark, and TUS continues only unmarked uploads.
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

/** The protocol mark of an upload, `undefined` for TUS 1.0 (unmarked). */
export function uploadProtocolOf(meta: Pick<FileMeta, 'extra'>): string | undefined {
  return meta.extra[UPLOAD_PROTOCOL_KEY]
}
