/** Shapes of the server's JSON responses, mirrored by hand from apps/server/API.md (a generated type source is a later item). */

export interface ClientConfig {
  retentions: Record<string, string>
  /** The operator's order of `retentions` (JSON objects put numeric keys first). */
  retentionOrder?: string[]
  defaultRetention: string
  mailTemplate: string
  requireBucketPassword: boolean
  maxFileSize: number | null
  maxBucketSize: number | null
  disableQrCode: boolean
  maxPreviewSize: number
  /** The server accepts end-to-end encrypted uploads (docs/encryption.md). */
  e2e?: boolean
  /** The server sends e-mail (`smtpUrl`): share links by mail, the first-download notice. */
  mail?: boolean
  tusEndpoint: string
  chunkSize?: number
  /** Direct-to-S3 uploads for files of at least `minSize` bytes, when the server offers them. */
  directUpload?: { endpoint: string; minSize: number } | null
  /** Length of the bucket ids the client generates (PsiTransfer's `randomDownloadSidLength`). */
  randomDownloadSidLength?: number
  defaultLanguage?: string
  languages?: string[]
}

export interface LangResponse {
  lang: string
  messages: Record<string, string>
}

export interface BucketItem {
  key: string
  name: string
  relativePath?: string
  comment?: string
  type?: string
  size: number
  createdAt?: number
  expiresAt: number | null
  oneTime: boolean
  downloaded: boolean
  /** Complete downloads left of a limited file (one-time: 1), `null` when unlimited. */
  downloadsLeft?: number | null
  url: string
  /** Encrypted in the browser: `name`/`type` are neutral, the real ones are sealed in `e2e`. */
  encrypted?: boolean
  e2e?: string
}

export interface Bucket {
  sid: string
  items: BucketItem[]
  archiveToken: string
  zipUrl: string
  tarGzUrl: string
  protected: boolean
  /** Some file is end-to-end encrypted: no server-side archives. */
  encrypted?: boolean
  config: { maxPreviewSize: number }
}

export interface AdminFile {
  key: string
  name: string
  relativePath?: string
  size: number
  uploadLength?: number | null
  offset?: number
  complete: boolean
  createdAt: number
  expiresAt: number | null
  lastDownload: number | null
  downloads?: number
  oneTime: boolean
  type?: string
  comment?: string
}

export interface AdminBucket {
  sid: string
  createdAt: number
  lastDownload: number | null
  expiresAt: number | null
  size: number
  protected: boolean
  locked: boolean
  files: AdminFile[]
}

export interface AdminData {
  buckets: AdminBucket[]
  totals: { buckets: number; files: number; bytes: number }
}
