// A store package as a third party would publish it: the server learns of it only through
// PSITRANSFER_STORE_PACKAGES. Its config schema is plain zod; core derives the variables
// (PSITRANSFER_STORAGE_CAPACITY_BYTES, PSITRANSFER_STORAGE_LABEL) from the schema itself.
import { defineStore, StorageFullError } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing/memory'
import { z } from 'zod'

const schema = z
  .object({
    /** Uploads declaring more bytes than this are refused (507), so a test can see the setting arrive. */
    capacityBytes: z.number().int().positive(),
    label: z.string().min(1).optional(),
  })
  .strict()

class FixtureStore extends MemoryStore {
  type = 'fixture'

  /** @param {{ capacityBytes: number, label?: string }} config */
  constructor(config) {
    super()
    this.config = config
  }

  /** @param {import('@psitransfer/core').NewFile} file */
  async create(file) {
    if (file.uploadLength !== null && file.uploadLength > this.config.capacityBytes) {
      throw new StorageFullError(`The fixture store holds at most ${this.config.capacityBytes} bytes`)
    }
    return super.create(file)
  }
}

export const fixtureStoreDefinition = defineStore({
  type: 'fixture',
  configSchema: schema,
  capabilities: { downloadUrl: false },
  create: (config) => new FixtureStore(config),
})
