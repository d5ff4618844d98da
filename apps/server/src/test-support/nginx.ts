/**
 * Debian's nginx in front of server instances, for the reverse-proxy test: the shipped
 * deploy/nginx/psitransfer.conf with its upstream servers, listen ports and certificate paths
 * substituted, run as a foreground process with its own prefix, pid, logs and temp dirs under a
 * temp directory (nothing of the system's nginx is used but the binary). The binary comes from
 * scripts/nginx/ensure-nginx.sh, which installs Debian's package when it is missing.
 * @module
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
/** The site file under test: the shipped one, or your edited copy (`PSI_NGINX_CONF=/path`). */
export const SITE_CONF = process.env.PSI_NGINX_CONF || join(ROOT, 'deploy/nginx/psitransfer.conf')
const ENSURE = join(ROOT, 'scripts/nginx/ensure-nginx.sh')

export interface SitePorts {
  /** Ports of the server instances on 127.0.0.1. */
  upstreams: readonly number[]
  /** Plain-HTTP port (the shipped file's `listen 80`, which redirects to HTTPS). */
  http: number
  /** TLS port (the shipped file's `listen 443 ssl`). */
  https: number
  cert: string
  key: string
}

/**
 * The shipped site file with only what differs on a test machine replaced: the upstream
 * servers (their options kept), the listen ports (on 127.0.0.1, no IPv6) and the certificate.
 * Every replacement must hit, so a changed file fails here instead of testing something else.
 */
export function renderSite(text: string, p: SitePorts): string {
  const replace = (re: RegExp, what: string, fn: (m: string, ...g: string[]) => string) => {
    let hits = 0
    const out = text.replace(re, (m, ...g: string[]) => {
      hits++
      return fn(m, ...g)
    })
    if (hits === 0) throw new Error(`${SITE_CONF}: no ${what} found to substitute`)
    text = out
  }
  replace(
    /^(\s*upstream psitransfer \{\n)((?:.*\n)*?)(\s*\})/m,
    'upstream block',
    (_m, open, body, close) => {
      const servers = body.split('\n').filter((l) => /^\s*server\s/.test(l))
      const options = /^\s*server\s+\S+(.*);/.exec(servers[0] ?? '')?.[1] ?? ''
      if (servers.length === 0) throw new Error(`${SITE_CONF}: the upstream block lists no server`)
      const rest = body
        .split('\n')
        .filter((l) => !/^\s*server\s/.test(l))
        .join('\n')
      const ours = p.upstreams.map((port) => `    server 127.0.0.1:${port}${options};`).join('\n')
      return `${open}${ours}\n${rest}${close}`
    },
  )
  replace(/^\s*listen \[::\]:\d+.*;\n/gm, 'IPv6 listen', () => '')
  replace(/^(\s*)listen 80;/m, 'listen 80', (_m, i) => `${i}listen 127.0.0.1:${p.http};`)
  replace(/^(\s*)listen 443 ssl;/m, 'listen 443 ssl', (_m, i) => `${i}listen 127.0.0.1:${p.https} ssl;`)
  replace(/^(\s*)ssl_certificate \S+;/m, 'ssl_certificate', (_m, i) => `${i}ssl_certificate ${p.cert};`)
  replace(
    /^(\s*)ssl_certificate_key \S+;/m,
    'ssl_certificate_key',
    (_m, i) => `${i}ssl_certificate_key ${p.key};`,
  )
  return text
}

/** A port that was free a moment ago (nginx needs fixed ports; the race is harmless here). */
export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const address = srv.address()
  await new Promise((resolve) => srv.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** A self-signed certificate for 127.0.0.1 (and files.example.com) made with openssl. */
export async function selfSignedCert(dir: string): Promise<{ cert: string; key: string; pem: Buffer }> {
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2'],
    ...['-keyout', key, '-out', cert, '-subj', '/CN=files.example.com'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:files.example.com'],
  ])
  return { cert, key, pem: readFileSync(cert) }
}

export interface RunningNginx {
  readonly dir: string
  /** error.log and access.log of this nginx. */
  logs(): string
  stop(): Promise<void>
}

/**
 * Installs nginx if needed (scripts/nginx/ensure-nginx.sh), writes a main config around the
 * rendered site (Debian's nginx.conf settings that matter for proxying: sendfile, gzip on), runs
 * `nginx -t` with it and starts nginx in the foreground. Resolves once it accepts connections.
 */
export async function startNginx(dir: string, site: string, httpsPort: number): Promise<RunningNginx> {
  const { stdout } = await run(ENSURE, [], { timeout: 10 * 60_000 })
  const bin = stdout.trim().split('\n').pop() as string
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(dir, d), { recursive: true })
  writeFileSync(join(dir, 'site.conf'), site)
  // As root nginx's workers would run as `nobody`, who cannot enter the 0700 temp directory.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : ''
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  gzip on;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`,
  )
  // -e: the error log before the config is read (else the compiled-in /var/log/nginx/error.log).
  const args = ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]
  try {
    await run(bin, [...args, '-t'])
  } catch (err) {
    throw new Error(`nginx -t rejected the rendered config:\n${(err as { stderr?: string }).stderr ?? err}`)
  }
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const logs = () => {
    const read = (f: string) => {
      try {
        return readFileSync(join(dir, f), 'utf8')
      } catch {
        return ''
      }
    }
    return `${stderr}${read('error.log')}${read('access.log')}`
  }
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${logs()}`)
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(httpsPort, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (up) break
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${httpsPort} within 15 s:\n${logs()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    dir,
    logs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      // SIGQUIT: graceful (finish requests in flight), as `nginx -s quit`.
      child.kill('SIGQUIT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
