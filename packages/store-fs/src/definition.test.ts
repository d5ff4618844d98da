/** The definition the server loads for `storage.type: filesystem`, checked by core's kit. */
import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { readStoreEnv, storeEnv } from '@psitransfer/core'
import { runDefinitionConformance } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { fsStoreDefinition } from './config.js'

const dir = mkdtempSync(path.join(tmpdir(), 'psi-fs-definition-'))

runDefinitionConformance(fsStoreDefinition, {
  config: {},
  context: { uploadDir: dir },
  cleanup: () => rm(dir, { recursive: true, force: true }),
})

describe('fsStoreDefinition', () => {
  it('reads PSITRANSFER_STORAGE_UPLOAD_DIR, _FSYNC and _METADATA_CALLS', () => {
    expect(storeEnv(fsStoreDefinition).map((v) => v.name)).toEqual([
      'PSITRANSFER_STORAGE_UPLOAD_DIR',
      'PSITRANSFER_STORAGE_FSYNC',
      'PSITRANSFER_STORAGE_METADATA_CALLS',
    ])
    expect(readStoreEnv(fsStoreDefinition, { PSITRANSFER_STORAGE_FSYNC: 'always' })).toEqual({
      fsync: 'always',
    })
  })
})
