import { isPsiError } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { parseAzureStoreConfig } from './config.js'
import { azureStoreDefinition } from './definition.js'

const cs = 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net'

function message(input: unknown): string {
  try {
    parseAzureStoreConfig(input)
  } catch (err) {
    if (!isPsiError(err)) throw err
    expect(err.code).toBe('STORE_MISCONFIGURED')
    return err.message
  }
  throw new Error('expected a configuration error')
}

describe('parseAzureStoreConfig', () => {
  it('fills in defaults', () => {
    expect(parseAzureStoreConfig({ connectionString: cs, container: 'psi' })).toMatchObject({
      container: 'psi',
      prefix: '',
      blockSize: 8 * 1024 * 1024,
      signedUrlExpiry: 3600,
      lockStaleAfter: 6,
      createContainer: false,
    })
  })

  it('names the key and the value of a mistake, never a secret', () => {
    expect(message({ connectionString: cs, container: 'Bad_Name' })).toMatch(
      /storage\.container .*"Bad_Name"/,
    )
    expect(message({ connectionString: cs, container: 'psi', blockSize: 1000 })).toMatch(
      /storage\.blockSize must be at least 1048576 bytes \(got 1000\)/,
    )
    expect(message({ connectionString: cs, container: 'psi', bucket: 'x' })).toMatch(
      /storage\.bucket is not an option of storage.type "azure"/,
    )
    expect(message({ connectionString: 5, container: 'psi' })).toMatch(
      /storage\.connectionString .*\(hidden\)/,
    )
    expect(message({ accountName: 'a', accountKey: '', container: 'psi' })).not.toContain('""')
    expect(message({ container: 'psi' })).toMatch(
      /storage\.connectionString is required .*storage\.accountName and storage\.accountKey/,
    )
    expect(message({ connectionString: cs, accountName: 'a', accountKey: 'k', container: 'psi' })).toMatch(
      /storage\.connectionString must not be combined/,
    )
    expect(message({ connectionString: cs, container: 'psi', prefix: '../x' })).toMatch(/storage\.prefix/)
    expect(message({ accountName: 'a', accountKey: 'k', container: 'psi', endpoint: 'ftp://x' })).toMatch(
      /storage\.endpoint/,
    )
    expect(message('nope')).toMatch(/storage must be an object/)
  })

  it('is the schema of the exported definition, with a locker', () => {
    expect(azureStoreDefinition.type).toBe('azure')
    expect(azureStoreDefinition.configSchema.parse({ connectionString: cs, container: 'psi' })).toMatchObject(
      {
        container: 'psi',
      },
    )
    expect(typeof azureStoreDefinition.createLocker).toBe('function')
  })
})
