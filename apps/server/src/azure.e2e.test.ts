/**
 * End to end on the Azure Blob store, started as main.ts starts the server, from environment
 * variables alone (`PSITRANSFER_STORAGE_TYPE=azure` and the store's own variables): the server
 * source names no Azure code, it loads `@psitransfer/store-azure` by type. Runs against Azurite,
 * started by store-azure's own script (in-memory, stopped at the end), or the account named by
 * PSI_AZURE_CONNECTION_STRING (container PSI_AZURE_CONTAINER, default `psitransfer-test`).
 */
import { randomBytes } from 'node:crypto'
import { encodeUploadMetadata, type Locker, type Store, systemClock } from '@psitransfer/core'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain ESM script without types (store-azure's Azurite starter, shared with its tests)
import { startAzurite } from '../../../packages/store-azure/scripts/azurite.mjs'
import { type RunningServer, startServer } from './server.js'
import { loadServerConfig } from './stores.js'
import { readZip } from './test-support/archives.js'
import { BucketTokens, sha256 } from './test-support/harness.js'

const MiB = 1024 * 1024
const TUS = { 'Tus-Resumable': '1.0.0' }

interface Azurite {
  connectionString: string
  stop(): Promise<void>
}

let azure: { connectionString: string; container: string; stop: () => Promise<void> }
const prefix = `psi-server-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`
const servers: Instance[] = []

interface Instance extends RunningServer {
  store: Store
  locker: Locker
}

/** What an operator sets: no config file, nothing but PSITRANSFER_* variables. */
function env(): Record<string, string> {
  return {
    PSITRANSFER_PORT: '0',
    PSITRANSFER_IFACE: '127.0.0.1',
    PSITRANSFER_ADMIN_PASS: 'admin-pass',
    // Shared by every instance, so a download link made by one is accepted by the others.
    PSITRANSFER_SECRET: 'a-long-random-string-shared-by-all-instances',
    PSITRANSFER_ACCESS_LOG: 'false',
    PSITRANSFER_STORAGE_TYPE: 'azure',
    PSITRANSFER_STORAGE_CONNECTION_STRING: azure.connectionString,
    PSITRANSFER_STORAGE_CONTAINER: azure.container,
    PSITRANSFER_STORAGE_CREATE_CONTAINER: 'true',
    PSITRANSFER_STORAGE_PREFIX: prefix,
    // 1 MiB blocks (the minimum), so the uploads below span several blocks per PATCH.
    PSITRANSFER_STORAGE_BLOCK_SIZE: String(MiB),
    PSITRANSFER_STORAGE_SIGNED_URL_EXPIRY: '600',
  }
}

/** One server instance, wired exactly as main.ts does it. */
async function start(): Promise<Instance> {
  const { config, registry } = await loadServerConfig({ env: env() })
  const store = await registry.create(config.storage, { uploadDir: config.uploadDir })
  await store.init()
  const locker = registry.createLocker(config.storage.type, store)
  const server = await startServer({
    config,
    store,
    locker,
    clock: systemClock,
    authFailDelayMs: 0,
    webRoot: null,
  })
  const instance = Object.assign(server, { store, locker })
  servers.push(instance)
  return instance
}

const base = (s: RunningServer) => `http://127.0.0.1:${s.port}`

beforeAll(async () => {
  const external = process.env.PSI_AZURE_CONNECTION_STRING
  if (external) {
    azure = {
      connectionString: external,
      container: process.env.PSI_AZURE_CONTAINER ?? 'psitransfer-test',
      stop: async () => {},
    }
  } else {
    const azurite = (await startAzurite()) as Azurite
    azure = { connectionString: azurite.connectionString, container: 'psi-server-test', stop: azurite.stop }
  }
}, 10 * 60_000)

afterAll(async () => {
  // Leave nothing in an external account: the admin deletes the buckets (and with them the blobs).
  const admin = servers[0]
  if (admin) {
    for (const sid of ['azbucket', 'azmulti']) {
      await fetch(`${base(admin)}/admin/buckets/${sid}`, {
        method: 'DELETE',
        headers: { 'x-passwd': 'admin-pass' },
      }).catch(() => {})
    }
  }
  for (const s of servers) await s.close()
  await azure?.stop()
}, 120_000)

async function listing(server: RunningServer, sid: string) {
  const res = await fetch(`${base(server)}/${sid}.json`)
  expect(res.status).toBe(200)
  return (await res.json()) as { items: Array<{ name: string; url: string; size: number }>; zipUrl: string }
}

describe('the server on Azure Blob storage, configured by env alone', () => {
  it('loads @psitransfer/store-azure with its lease locker; TUS in several PATCHes, listing, SAS download, zip', async () => {
    const { config } = await loadServerConfig({ env: env() })
    // The variables were read by the store's derived names and kinds.
    expect(config.storage).toMatchObject({ type: 'azure', createContainer: true, blockSize: MiB })
    const server = await start()
    expect(server.store.type).toBe('azure')
    expect(server.locker.constructor.name).toBe('AzureLocker')

    const tokens = new BucketTokens()
    const big = randomBytes(5 * MiB + 123)
    const small = Buffer.from('hello azure\n')
    const chunkSize = MiB + 7
    const patches: number[] = []
    const upload = (data: Buffer, metadata: Record<string, string>) =>
      new Promise<void>((resolve, reject) => {
        const u = new tus.Upload(data, {
          endpoint: `${base(server)}/files/`,
          metadata,
          chunkSize, // several PATCHes, none on a block boundary
          retryDelays: [0, 200],
          ...tokens.tusOptions('azbucket'),
          onBeforeRequest: (req) => {
            if (req.getMethod() === 'PATCH') patches.push(Date.now())
          },
          onSuccess: () => resolve(),
          onError: reject,
        })
        u.start()
      })
    await upload(big, { sid: 'azbucket', name: 'big.bin', retention: '3600' })
    expect(patches.length).toBe(Math.ceil(big.length / chunkSize)) // 6
    await upload(small, { sid: 'azbucket', name: 'notes.txt', retention: '3600', type: 'text/plain' })

    const { items, zipUrl } = await listing(server, 'azbucket')
    expect(items.map((i) => [i.name, i.size]).sort()).toEqual([
      ['big.bin', big.length],
      ['notes.txt', small.length],
    ])

    const bigItem = items.find((i) => i.name === 'big.bin')!
    const redirect = await fetch(`${base(server)}${bigItem.url}`, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    const sas = new URL(redirect.headers.get('location')!)
    expect(sas.searchParams.get('sig')).toBeTruthy()
    expect(sas.searchParams.get('rscd')).toMatch(/^attachment; filename="big\.bin"/)
    const direct = await fetch(sas)
    expect(direct.status).toBe(200)
    expect(direct.headers.get('content-disposition')).toMatch(/^attachment; filename="big\.bin"/)
    expect(sha256(Buffer.from(await direct.arrayBuffer()))).toBe(sha256(big))
    // A plain client just follows the redirect.
    const followed = await fetch(`${base(server)}${items.find((i) => i.name === 'notes.txt')!.url}`)
    expect(followed.status).toBe(200)
    expect(followed.url).not.toContain(`127.0.0.1:${server.port}`)
    expect(Buffer.from(await followed.arrayBuffer()).equals(small)).toBe(true)

    const zipRes = await fetch(`${base(server)}${zipUrl}`)
    expect(zipRes.status).toBe(200)
    const zip = readZip(Buffer.from(await zipRes.arrayBuffer()))
    expect(sha256(zip.get('big.bin')!)).toBe(sha256(big))
    expect(zip.get('notes.txt')!.equals(small)).toBe(true)
  }, 120_000)

  it('three instances on one container: one upload PATCHed round-robin across them, downloaded byte-exact', async () => {
    const instances = [servers[0] ?? (await start()), await start(), await start()]
    const [a, b, c] = instances as [Instance, Instance, Instance]
    const data = randomBytes(3 * MiB + 5)
    const created = await fetch(`${base(a)}/files/`, {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Length': String(data.length),
        'Upload-Metadata': encodeUploadMetadata({ sid: 'azmulti', name: 'multi.bin', retention: '3600' }),
      },
    })
    expect(created.status).toBe(201)
    const path = new URL(created.headers.get('location')!, base(a)).pathname

    const chunk = 700 * 1024 + 3
    let offset = 0
    for (let i = 0; offset < data.length; i++) {
      const to = instances[i % 3]!
      // Every instance sees the offset the previous one acknowledged (it comes from Azure alone).
      const head = await fetch(`${base(to)}${path}`, { method: 'HEAD', headers: TUS })
      expect(head.status).toBe(200)
      expect(Number(head.headers.get('upload-offset'))).toBe(offset)
      const end = Math.min(data.length, offset + chunk)
      const patch = await fetch(`${base(to)}${path}`, {
        method: 'PATCH',
        headers: {
          ...TUS,
          'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: data.subarray(offset, end),
      })
      expect(patch.status, `PATCH ${i} on instance ${i % 3}`).toBe(204)
      expect(Number(patch.headers.get('upload-offset'))).toBe(end)
      offset = end
    }

    for (const s of instances) {
      const { items } = await listing(s, 'azmulti')
      expect(items.map((i) => [i.name, i.size])).toEqual([['multi.bin', data.length]])
    }
    const { items } = await listing(b, 'azmulti')
    const got = await fetch(`${base(c)}${items[0]!.url}`)
    expect(got.status).toBe(200)
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(data))
  }, 120_000)
})
