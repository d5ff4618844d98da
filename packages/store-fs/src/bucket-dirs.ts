/**
 * The bucket directories under the upload directory: created on demand, and checked to be real
 * directories (a planted symlink would lead outside) with the result trusted for a short while
 * so that hot paths skip the `lstat`.
 * @module
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { NotFoundError, PsiError } from '@psitransfer/core'
import { isErrno } from './fs-errors.js'
import type { MetaCalls } from './meta-calls.js'
import type { FilePaths } from './paths.js'

/** Bound of the trusted-directory cache (it only holds recently used buckets). */
const MAX_TRUSTED = 10_000

export class BucketDirs {
  /** Bucket directories known to be real directories, and when that was last established. */
  readonly #trusted = new Map<string, number>()

  constructor(
    private readonly root: string,
    /** How long (ms) a checked directory is trusted; 0 checks on every operation. */
    private readonly ttlMs: number,
    private readonly calls: MetaCalls,
    private readonly warn: (where: string, message: string) => void,
  ) {}

  #isTrusted(dir: string): boolean {
    const at = this.#trusted.get(dir)
    return at !== undefined && performance.now() - at < this.ttlMs
  }

  #trust(dir: string): void {
    if (this.ttlMs <= 0) return
    if (this.#trusted.size >= MAX_TRUSTED) this.#trusted.clear()
    this.#trusted.set(dir, performance.now())
  }

  /** The directory is gone (or may be): check it again next time. */
  forget(dir: string): void {
    this.#trusted.delete(dir)
  }

  /** The bucket directory must be a real directory: a planted symlink would lead outside. */
  async check(p: FilePaths, calls = this.calls): Promise<void> {
    if (this.#isTrusted(p.bucketDir)) return
    const st = await calls.lstat(p.bucketDir)
    if (!st.isDirectory()) {
      this.warn(p.sid, 'bucket is not a plain directory (symlink?), refused')
      throw new NotFoundError()
    }
    this.#trust(p.bucketDir)
  }

  /** Creates the bucket directory if needed; returns true if it was created. */
  async ensure(p: FilePaths): Promise<boolean> {
    if (this.#isTrusted(p.bucketDir)) return false
    let created = false
    try {
      await this.calls.mkdir(p.bucketDir)
      created = true
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        await mkdir(this.root, { recursive: true })
        return this.ensure(p)
      }
      if (!isErrno(err, 'EEXIST')) throw err
    }
    // mkdir never follows a symlink at the final component: what we created is a directory.
    if (!created) {
      const st = await this.calls.lstat(p.bucketDir)
      if (!st.isDirectory()) {
        this.warn(p.sid, 'bucket is not a plain directory (symlink?), refused')
        throw new PsiError('STORE_MISCONFIGURED', 'The upload directory contains an unexpected entry')
      }
    }
    this.#trust(p.bucketDir)
    return created
  }

  /** A file inside a bucket must be a regular file (not a symlink). */
  async checkRegularFile(file: string): Promise<void> {
    const st = await this.calls.lstat(file)
    if (!st.isFile()) {
      this.warn(path.relative(this.root, file), 'not a regular file (symlink?), refused')
      throw new NotFoundError()
    }
  }
}
