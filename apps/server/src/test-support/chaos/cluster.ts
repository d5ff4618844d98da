/**
 * The real server as child processes (`node dist/main.js`, configured by PSITRANSFER_* env
 * variables), which the harness SIGKILLs and restarts. Each instance listens on a port of its
 * own (port 0, read from its "listening on" line); output goes to a log file per instance.
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { copyFileSync, createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SERVER_DIR = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * Compiles the server's sources into a directory of the harness's own (under
 * apps/server/node_modules, so the packages still resolve) and returns its main.js. The harness
 * runs compiled JavaScript because a start through the TypeScript loader takes seconds on a busy
 * machine, which would show up in every resume wait; and a private copy because other tests
 * rebuild dist/ while they run (a server started from a half-written file would crash).
 */
export function buildServer(id: string): { main: string; remove: () => void } {
  const root = join(SERVER_DIR, 'node_modules', '.psi-chaos', id)
  const out = join(root, 'dist')
  // The server finds its store packages through the package.json next to dist/.
  mkdirSync(root, { recursive: true })
  copyFileSync(join(SERVER_DIR, 'package.json'), join(root, 'package.json'))
  execFileSync(
    process.execPath,
    [
      join(SERVER_DIR, 'node_modules/typescript/bin/tsc'),
      ...['-p', 'tsconfig.build.json', '--outDir', out],
      ...['--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'],
    ],
    { cwd: SERVER_DIR, stdio: 'inherit' },
  )
  return { main: join(out, 'main.js'), remove: () => rmSync(root, { recursive: true, force: true }) }
}

export interface Instance {
  readonly id: number
  /** Port while the instance is up, null while it is down or starting. */
  port: number | null
  starts: number
}

/** Durations (ms) from a kill to the restarted instance listening. */
export type RestartTimes = number[]

export class Cluster {
  readonly instances: Instance[]
  readonly restartMs: RestartTimes = []
  readonly #children = new Map<number, ChildProcess>()
  readonly #logs: WriteStream[]
  readonly #waiters: Array<() => void> = []
  #closed = false

  constructor(
    count: number,
    private readonly main: string,
    private readonly env: Record<string, string>,
    logDir: string,
  ) {
    this.instances = Array.from({ length: count }, (_, id) => ({ id, port: null, starts: 0 }))
    this.#logs = this.instances.map((i) =>
      createWriteStream(join(logDir, `server-${i.id}.log`), { flags: 'a' }),
    )
  }

  async start(): Promise<void> {
    await Promise.all(this.instances.map((i) => this.#spawn(i)))
  }

  live(): Instance[] {
    return this.instances.filter((i) => i.port !== null)
  }

  /** Resolves when at least one instance is up (or after `ms`, with false). */
  async waitLive(ms: number): Promise<boolean> {
    if (this.live().length > 0) return true
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        resolve(this.live().length > 0)
      }
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(done)
        if (i >= 0) this.#waiters.splice(i, 1)
        resolve(false)
      }, ms)
      this.#waiters.push(done)
    })
  }

  /** SIGKILLs the instance and starts it again; resolves when it is up. */
  async killAndRestart(instance: Instance): Promise<void> {
    const t0 = Date.now()
    const child = this.#children.get(instance.id)
    instance.port = null
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGKILL')
      await exited
    }
    if (this.#closed) return
    await this.#spawn(instance)
    this.restartMs.push(Date.now() - t0)
  }

  async #spawn(instance: Instance): Promise<void> {
    const child = spawn(process.execPath, [this.main], {
      cwd: SERVER_DIR,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#children.set(instance.id, child)
    instance.starts++
    const log = this.#logs[instance.id] as WriteStream
    log.write(`--- start #${instance.starts} pid ${child.pid} at ${new Date().toISOString()}\n`)
    child.stderr?.pipe(log, { end: false })
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const onData = (chunk: Buffer) => {
        log.write(chunk)
        out += chunk.toString()
        const m = /listening on https?:\/\/[^:/]+:(\d+)/.exec(out)
        if (m) {
          child.stdout?.off('data', onData)
          child.stdout?.on('data', (c: Buffer) => log.write(c))
          child.off('exit', onExit)
          instance.port = Number(m[1])
          for (const w of this.#waiters.splice(0)) w()
          resolve()
        }
      }
      const onExit = (code: number | null) =>
        reject(new Error(`server instance ${instance.id} exited with ${code} before listening (see its log)`))
      child.stdout?.on('data', onData)
      child.once('exit', onExit)
    })
  }

  /** SIGTERM every instance (graceful shutdown) and wait for them. */
  async stop(): Promise<void> {
    this.#closed = true
    await Promise.all(
      [...this.#children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(timer)
      }),
    )
    for (const i of this.instances) i.port = null
    await Promise.all(this.#logs.map((l) => new Promise((r) => l.end(r))))
  }
}
