/** Why a decryption failed; `code` is stable, `message` is for people. */
export type E2EErrorCode = 'format' | 'wrong-key' | 'truncated' | 'modified' | 'mismatch'

/** Base class of every error this package throws about encrypted data. */
export class E2EError extends Error {
  readonly code: E2EErrorCode
  constructor(code: E2EErrorCode, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** Not PSIE2E v1 data (unknown magic, version or kind, malformed base64url or size). */
export class E2EFormatError extends E2EError {
  constructor(message: string) {
    super('format', message)
  }
}

/** The key check in the header does not match this key (or the header's salt/check were altered). */
export class E2EWrongKeyError extends E2EError {
  constructor(message = 'wrong key: this file was not encrypted with the key in the link') {
    super('wrong-key', message)
  }
}

/** The data ends early: before the header's end, at a record boundary, or before the expected size. */
export class E2ETruncatedError extends E2EError {
  constructor(message: string) {
    super('truncated', message)
  }
}

/** A record failed authentication: modified, reordered, or data appended after the last record. */
export class E2EModifiedError extends E2EError {
  /** Index of the record that failed. */
  readonly record: number
  constructor(record: number, message: string) {
    super('modified', message)
    this.record = record
  }
}

/** The file is intact but is not the one its metadata names (its salt differs from `expectedSalt`). */
export class E2EMismatchError extends E2EError {
  constructor(message = 'this file is not the one its name and metadata belong to (salt mismatch)') {
    super('mismatch', message)
  }
}
