/**
 * The deployment examples in deploy/ configure the real server: every PSITRANSFER_* variable
 * they set is one the server reads (an unknown or misspelt one stops it at boot), their values
 * parse, and their stop timeouts leave the server its shutdown timeout. The nginx config is run
 * for real by nginx.e2e.test.ts; systemd-analyze and kubectl need a system to check against.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { HANDLER_GRACE_MS } from './server.js'
import { loadServerConfig } from './stores.js'

const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url))
const read = (name: string) => readFileSync(join(DEPLOY, name), 'utf8')

/** `KEY=value` lines (a systemd EnvironmentFile, or `Environment=` values); `#` lines skipped. */
function envLines(text: string, uncomment = false): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split('\n')) {
    const line = uncomment ? raw.replace(/^#\s*(?=PSITRANSFER_)/, '') : raw
    const m = /^(?:Environment=)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (m) out[m[1] as string] = m[2] as string
  }
  return out
}

/** A systemd unit's `Key=value` settings (the last one of a key wins). */
function unitSettings(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim())
    if (m) out[m[1] as string] = m[2] as string
  }
  return out
}

/**
 * The container's `env:` list of deploy/kubernetes.yaml (`- name: X` with `value: v`, or a
 * `valueFrom` Secret key, given `secretValue` here); commented-out entries too when `uncomment`.
 */
function kubeEnv(
  text: string,
  secretValue: (key: string) => string,
  uncomment = false,
): Record<string, string> {
  const lines = text
    .split('\n')
    .map((l) => (uncomment ? l.replace(/^(\s*)# (?=- name: | {2}value: )/, '$1') : l))
  const out: Record<string, string> = {}
  for (let i = 0; i < lines.length; i++) {
    const name = /^\s*- name: (PSITRANSFER_\w+)\s*$/.exec(lines[i] as string)?.[1]
    if (!name) continue
    const next = lines[i + 1] ?? ''
    const value = /^\s*value: "?([^"]*)"?\s*$/.exec(next)?.[1]
    const secretKey = /secretKeyRef: \{ name: \w+, key: ([\w-]+) \}/.exec(next)?.[1]
    if (value === undefined && secretKey === undefined) throw new Error(`${name}: no value in ${next}`)
    out[name] = value ?? secretValue(secretKey as string)
  }
  return out
}

describe('deploy/ examples', () => {
  const unit = read('psitransfer.service')
  const envFile = read('psitransfer.env.example')
  const kube = read('kubernetes.yaml')

  it('the systemd unit with its example env file configures the server; the S3 lines too', async () => {
    const env = { ...envLines(unit), ...envLines(envFile) }
    expect(env.PSITRANSFER_SECRET).toBeDefined()
    const { config } = await loadServerConfig({ env })
    expect(config.storage.type).toBe('filesystem')
    expect(config.uploadDir).toBe('/var/lib/psitransfer')
    expect(config.trustProxy).toBe(1)
    const s3 = await loadServerConfig({ env: { ...envLines(unit), ...envLines(envFile, true) } })
    expect(s3.config.storage).toMatchObject({ type: 's3', bucket: 'psitransfer', forcePathStyle: true })
  })

  it('the systemd unit stops gracefully: SIGTERM, and more time than the shutdown timeout', async () => {
    const s = unitSettings(unit)
    expect(s.KillSignal).toBe('SIGTERM')
    const { config } = await loadServerConfig({ env: { ...envLines(unit), ...envLines(envFile) } })
    expect(Number.parseInt(s.TimeoutStopSec as string, 10)).toBeGreaterThan(
      config.shutdownTimeout + HANDLER_GRACE_MS / 1000,
    )
    expect(s.RestartPreventExitStatus).toBe('2') // main.ts: exit 2 = invalid configuration
    // V8's JIT needs W+X memory: this hardening option would kill node at start.
    expect(s.MemoryDenyWriteExecute ?? 'no').toBe('no')
  })

  it('the Kubernetes Deployment configures the server and waits for its graceful shutdown', async () => {
    const secrets: Record<string, string> = {
      secret: 'a-secret-of-at-least-16-characters',
      's3-access-key-id': 'AKIAEXAMPLE',
      's3-secret-access-key': 'example-secret-key',
    }
    const env = kubeEnv(kube, (k) => secrets[k] ?? '')
    const { config } = await loadServerConfig({ env })
    expect(config.storage).toMatchObject({ type: 's3', bucket: 'psitransfer' })
    expect(config.trustProxy).toBe(1)
    // The commented-out S3 endpoint lines are valid too.
    const other = await loadServerConfig({ env: kubeEnv(kube, (k) => secrets[k] ?? '', true) })
    expect(other.config.storage).toMatchObject({ endpoint: 'https://s3.example.com', forcePathStyle: true })
    // The Secret as shipped is empty: the server refuses it with the variable's name.
    await expect(loadServerConfig({ env: kubeEnv(kube, () => '') })).rejects.toThrow(/PSITRANSFER_SECRET/)

    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(kube)?.[1])
    const preStop = Number(/command: \["sleep", "(\d+)"\]/.exec(kube)?.[1])
    expect(grace).toBeGreaterThan(preStop + config.shutdownTimeout + HANDLER_GRACE_MS / 1000)
    expect(/replicas: (\d+)/.exec(kube)?.[1]).toBe('3')
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      expect(
        new RegExp(`${probe}:\\n\\s+httpGet: \\{ path: /healthz, port: http \\}`).test(kube),
        probe,
      ).toBe(true)
    }
  })
})
