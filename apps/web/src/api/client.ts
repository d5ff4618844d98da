import { getJson, request } from './http.js'
import type { AdminData, Bucket, ClientConfig, LangResponse } from './types.js'

/** All server calls, relative to the app's base URL. */
export class Api {
  constructor(readonly base: URL) {}

  url(path: string): URL {
    return new URL(path, this.base)
  }

  config(uploadPass?: string): Promise<ClientConfig> {
    return getJson(this.url('config.json'), uploadPass ? { 'x-passwd': uploadPass } : {})
  }

  lang(lang: string): Promise<LangResponse> {
    return getJson(this.url(`lang.json?lang=${encodeURIComponent(lang)}`))
  }

  bucket(sid: string, password?: string): Promise<Bucket> {
    return getJson(
      this.url(`${encodeURIComponent(sid)}.json`),
      password ? { 'x-download-pass': headerSafe(password) } : {},
    )
  }

  /** Our admin shape; `admin/data.json` answers PsiTransfer's (for its admin page and scripts). */
  adminData(pass: string): Promise<AdminData> {
    return getJson(this.url('api/admin/data.json'), { 'x-passwd': headerSafe(pass) })
  }

  async deleteFile(pass: string, sid: string, key: string): Promise<void> {
    await request(this.url(`admin/files/${encodeURIComponent(sid)}++${encodeURIComponent(key)}`), {
      method: 'DELETE',
      headers: { 'x-passwd': headerSafe(pass) },
    })
  }

  async deleteBucket(pass: string, sid: string): Promise<void> {
    await request(this.url(`admin/buckets/${encodeURIComponent(sid)}`), {
      method: 'DELETE',
      headers: { 'x-passwd': headerSafe(pass) },
    })
  }

  /** Ends an unfinished upload (TUS termination); used when the person starts over. */
  async terminate(uploadUrl: string, uploadPass?: string): Promise<void> {
    await request(new URL(uploadUrl, this.base), {
      method: 'DELETE',
      headers: { 'Tus-Resumable': '1.0.0', ...(uploadPass ? { 'x-passwd': headerSafe(uploadPass) } : {}) },
    })
  }

  /**
   * Locks the bucket after the last file: `PATCH <tusEndpoint><sid>?lock=yes`, with the bucket's
   * upload token (`X-Bucket-Token`, answered by its first creation; the server refuses others).
   */
  async lock(tusEndpoint: string, sid: string, uploadPass?: string, bucketToken?: string): Promise<void> {
    const url = new URL(`${encodeURIComponent(sid)}?lock=yes`, new URL(tusEndpoint, this.base))
    await request(url, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        ...(uploadPass ? { 'x-passwd': headerSafe(uploadPass) } : {}),
        ...(bucketToken ? { 'X-Bucket-Token': bucketToken } : {}),
      },
    })
  }
}

/**
 * Header values must be Latin-1 or fetch throws. Passwords with other characters (Cyrillic, CJK…) are
 * sent percent-encoded instead of failing in the browser (see README "Passwords").
 */
export function headerSafe(value: string): string {
  // Visible ASCII without surrounding spaces goes as is (what PsiTransfer's server expects);
  // anything else is percent-encoded, which our server decodes, instead of being trimmed or
  // mangled by Latin-1 header encoding.
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) ? value : encodeURIComponent(value)
}
