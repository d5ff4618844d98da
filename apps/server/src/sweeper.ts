/**
 * Retention sweeper: deletes expired files (finished or not) on an interval. Requests check
 * expiry themselves, so the interval only bounds how long expired bytes occupy storage.
 * A file whose upload lock is held (a PATCH is writing) is left for the next round.
 * @module
 */
import {
  type Clock,
  type FileMeta,
  formatFileRef,
  isExpired,
  isPsiError,
  type Locker,
  needsCompletion,
  type Store,
} from '@psitransfer/core'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'

export interface SweeperOptions {
  store: Store
  locker: Locker
  clock: Clock
  logger: Logger
  metrics?: Metrics
  intervalMs: number
  /**
   * Completes an upload whose bytes are all there but whose completion never ran (its
   * process died in between); resolves with the record as it is afterwards. Without it such
   * uploads are left alone.
   */
  complete?: (meta: FileMeta) => Promise<FileMeta>
  /**
   * Complete files whose completion hooks never ran (see `upload/complete.ts`): `missed` finds
   * them, `run` runs the hooks (their retention expiry replaces the shorter one of unfinished
   * uploads, which would otherwise delete them early). Checked before expiry.
   */
  completionHooks?: { missed(meta: FileMeta): boolean; run(meta: FileMeta): Promise<FileMeta> }
  /**
   * Records holding a notice that is due (a requester's digest collected by a process that
   * ended before its timer): `due` finds them among the listed records, `send` mails it.
   */
  dueNotices?: { due(meta: FileMeta, now: number): boolean; send(meta: FileMeta): Promise<void> }
}

export interface SweepResult {
  /** Full uploads found incomplete and completed. */
  completed: number
  deleted: number
  failed: number
  skipped: number
}

export class Sweeper {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<SweepResult> | undefined

  constructor(private readonly options: SweeperOptions) {}

  start(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => {
      void this.runOnce().catch((err) => this.options.logger.error({ err }, 'sweep failed'))
    }, this.options.intervalMs)
    this.#timer.unref()
  }

  /** Stops the interval and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => {})
  }

  /** One pass over the store; concurrent calls share the pass in progress. */
  runOnce(): Promise<SweepResult> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #sweep(): Promise<SweepResult> {
    const { store, locker, clock, logger, metrics } = this.options
    const result: SweepResult = { completed: 0, deleted: 0, failed: 0, skipped: 0 }
    const expired = []
    const full: FileMeta[] = []
    const now = clock.now()
    const hooksMissed: FileMeta[] = []
    const notices: FileMeta[] = []
    for await (const meta of store.list()) {
      if (this.options.dueNotices?.due(meta, now)) notices.push(meta)
      if (this.options.completionHooks?.missed(meta)) hooksMissed.push(meta)
      else if (isExpired(meta, now)) expired.push({ sid: meta.sid, key: meta.key })
      else if (needsCompletion(meta)) full.push(meta)
    }
    // Nobody may ever touch these again (the client saw its last PATCH fail and may be gone).
    for (const meta of this.options.complete ? full : []) {
      const after = await this.options.complete?.(meta).catch(() => meta)
      if (after?.complete) result.completed++
    }
    for (const meta of hooksMissed) {
      const after = await this.options.completionHooks?.run(meta).catch((err) => {
        logger.warn({ err, sid: meta.sid, key: meta.key }, 'could not run the completion hooks')
        return undefined
      })
      if (after && !this.options.completionHooks?.missed(after)) result.completed++
    }
    // After the completion hooks, which may have collected more files for a notice.
    for (const meta of notices) {
      await this.options.dueNotices?.send(meta).catch((err) => {
        logger.warn({ err, sid: meta.sid }, 'could not send a due notice')
      })
    }
    for (const ref of expired) {
      let lock: Awaited<ReturnType<Locker['lock']>>
      try {
        lock = await locker.lock(formatFileRef(ref), { waitMs: 0 })
      } catch {
        result.skipped++
        continue
      }
      try {
        await store.delete(ref)
        result.deleted++
        metrics?.inc('psitransfer_files_expired_total')
      } catch (err) {
        if (!(isPsiError(err) && err.code === 'NOT_FOUND')) {
          result.failed++
          logger.warn({ err, sid: ref.sid, key: ref.key }, 'could not delete an expired file')
        }
      } finally {
        await lock.release()
      }
    }
    if (result.deleted || result.failed || result.completed) logger.info({ ...result }, 'retention sweep')
    if (store.sweep) {
      try {
        logger.info({ report: await store.sweep({ now }) }, 'store sweep')
      } catch (err) {
        logger.warn({ err }, 'store sweep failed')
      }
    }
    return result
  }
}
