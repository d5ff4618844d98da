// The installed @psitransfer/store-fs, created through its definition and core's registry (as an
// app would), must pass the conformance kit of the installed @psitransfer/core/testing.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createStore } from '@psitransfer/core'
import { runStoreConformance } from '@psitransfer/core/testing'
import { fsStoreDefinition } from '@psitransfer/store-fs'

let root = ''
const open = () => createStore({ type: fsStoreDefinition.type, uploadDir: root }, [fsStoreDefinition])
const file = (ref, suffix = '') => path.join(root, ref.sid, `${ref.key}${suffix}`)
const orNull = (p) => p.catch((err) => (err.code === 'ENOENT' ? null : Promise.reject(err)))

runStoreConformance({
  name: 'installed @psitransfer/store-fs via its definition',
  makeStore: async () => {
    root = await mkdtemp(path.join(tmpdir(), 'psi-pack-conformance-'))
    return open()
  },
  reopen: open,
  cleanup: () => rm(root, { recursive: true, force: true }),
  probe: {
    readData: (ref) => orNull(readFile(file(ref)).then((b) => new Uint8Array(b))),
    readMeta: (ref) => orNull(readFile(file(ref, '.json'), 'utf8').then(JSON.parse)),
    dataSize: (ref) => orNull(stat(file(ref)).then((s) => s.size)),
  },
  // The 1 GiB flat-memory run belongs to the store's own test suite; here it proves the kit and
  // the store work as installed, so a smaller file keeps the run short.
  bigFileBytes: 32 * 1024 * 1024,
})
