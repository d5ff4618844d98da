import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  configFromEnv,
  DEFAULT_RETENTIONS,
  loadConfig,
  parseConfig,
  retentionOrder,
  upperSnake,
} from './config.js'
import { loadServerConfig } from './stores.js'

describe('config defaults', () => {
  it('matches PsiTransfer', () => {
    const c = parseConfig()
    expect(c).toMatchObject({
      uploadDir: './data',
      baseUrl: '/',
      uploadAppPath: '/',
      iface: '0.0.0.0',
      port: 3000,
      defaultRetention: '604800',
      maxAge: 75 * 24 * 3600,
      adminPass: false,
      uploadPass: false,
      requireBucketPassword: false,
      maxPreviewSize: 2 * 1024 * 1024,
      maxFileSize: null,
      maxBucketSize: null,
      defaultLanguage: 'en',
      disableQrCode: false,
      fileUploadedWebhook: null,
      fileDownloadedWebhook: null,
      smtpUrl: null,
      mailFrom: 'PsiTransfer <noreply@localhost>',
      trustProxy: 0,
      accessLog: true,
      storage: { type: 'filesystem' },
    })
    expect(c.retentions).toEqual(DEFAULT_RETENTIONS)
    expect(c.mailTemplate).toContain('%%URL%%')
  })

  it('orders retentions one-time first, then seconds ascending', () => {
    expect(retentionOrder(DEFAULT_RETENTIONS)).toEqual([
      'one-time',
      '3600',
      '21600',
      '86400',
      '259200',
      '604800',
      '1209600',
      '2419200',
      '4838400',
    ])
  })
})

describe('environment variables', () => {
  it('maps keys to UPPER_SNAKE names', () => {
    expect(upperSnake('maxBucketSize')).toBe('MAX_BUCKET_SIZE')
    expect(upperSnake('uploadAppPath')).toBe('UPLOAD_APP_PATH')
    expect(upperSnake('port')).toBe('PORT')
  })

  it('parses booleans as booleans ("false" and "0" are false)', () => {
    expect(loadConfig({ env: { PSITRANSFER_DISABLE_QR_CODE: 'false' } }).disableQrCode).toBe(false)
    expect(loadConfig({ env: { PSITRANSFER_DISABLE_QR_CODE: '0' } }).disableQrCode).toBe(false)
    expect(loadConfig({ env: { PSITRANSFER_DISABLE_QR_CODE: 'true' } }).disableQrCode).toBe(true)
    expect(loadConfig({ env: { PSITRANSFER_REQUIRE_BUCKET_PASSWORD: '1' } }).requireBucketPassword).toBe(true)
    expect(loadConfig({ env: { PSITRANSFER_ACCESS_LOG: 'false' } }).accessLog).toBe(false)
    expect(loadConfig({ env: { PSITRANSFER_ACCESS_LOG: 'dev' } }).accessLog).toBe(true)
    expect(
      loadConfig({ env: { PSITRANSFER_MIN_UPLOAD_RATE: '0', PSITRANSFER_UPLOAD_RATE_WINDOW: '5' } }),
    ).toMatchObject({ minUploadRate: 0, uploadRateWindow: 5 })
    expect(loadConfig({ env: { PSITRANSFER_METRICS_TOKEN: 'a-long-enough-token' } }).metricsToken).toBe(
      'a-long-enough-token',
    )
    expect(() => loadConfig({ env: { PSITRANSFER_METRICS_TOKEN: 'short' } })).toThrow(/metricsToken/i)
  })

  it('reads trustProxy as a number of trusted hops (true = 1)', () => {
    const hops = (v: string) => loadConfig({ env: { PSITRANSFER_TRUST_PROXY: v } }).trustProxy
    expect([
      hops('false'),
      hops('0'),
      hops(''),
      hops('true'),
      hops('1'),
      hops('2'),
      hops('loopback'),
    ]).toEqual([0, 0, 0, 1, 1, 2, 1])
    expect(parseConfig({ trustProxy: true }).trustProxy).toBe(1)
    expect(parseConfig({ trustProxy: 3 }).trustProxy).toBe(3)
  })

  it('parses numbers, nulls, passwords and JSON', () => {
    const c = loadConfig({
      env: {
        PSITRANSFER_PORT: '8080',
        PSITRANSFER_MAX_FILE_SIZE: '1000',
        PSITRANSFER_MAX_BUCKET_SIZE: 'null',
        PSITRANSFER_ADMIN_PASS: 'secret',
        PSITRANSFER_UPLOAD_PASS: 'false',
        PSITRANSFER_RETENTIONS: '{"one-time":"once","3600":"hour"}',
        PSITRANSFER_DEFAULT_RETENTION: '3600',
      },
    })
    expect(c.port).toBe(8080)
    expect(c.maxFileSize).toBe(1000)
    expect(c.maxBucketSize).toBeNull()
    expect(c.adminPass).toBe('secret')
    expect(c.uploadPass).toBe(false)
    expect(c.retentions).toEqual({ 'one-time': 'once', '3600': 'hour' })
  })

  it('disables a password only for "false" or empty; "0", "no", "off" are passwords', () => {
    for (const key of ['PSITRANSFER_UPLOAD_PASS', 'PSITRANSFER_ADMIN_PASS']) {
      const pass = (raw: string) => {
        const c = loadConfig({ env: { [key]: raw } })
        return key === 'PSITRANSFER_UPLOAD_PASS' ? c.uploadPass : c.adminPass
      }
      for (const raw of ['0', 'no', 'off', 'No', '1', 'true', 'yes', ' s3cret '])
        expect(pass(raw), raw).toBe(raw)
      for (const raw of ['false', 'FALSE', '', '  ']) expect(pass(raw), JSON.stringify(raw)).toBe(false)
    }
    // In a config file: `false` or "" disable, any other string is the password.
    expect(parseConfig({ uploadPass: '' }).uploadPass).toBe(false)
    expect(parseConfig({ adminPass: '0' }).adminPass).toBe('0')
    expect(() => parseConfig({ adminPass: true })).toThrow(/adminPass/)
  })

  it('takes webhook URLs unquoted (and still accepts PsiTransfer JSON quoting)', () => {
    expect(
      loadConfig({ env: { PSITRANSFER_FILE_UPLOADED_WEBHOOK: 'https://hooks.example/up' } })
        .fileUploadedWebhook,
    ).toBe('https://hooks.example/up')
    expect(
      loadConfig({ env: { PSITRANSFER_FILE_DOWNLOADED_WEBHOOK: '"https://hooks.example/dl"' } })
        .fileDownloadedWebhook,
    ).toBe('https://hooks.example/dl')
  })

  it('takes an SMTP URL and a From, and never prints the URL (it holds the mail password)', () => {
    const c = loadConfig({
      env: {
        PSITRANSFER_SMTP_URL: 'smtps://files:s3cret@mail.example:465',
        PSITRANSFER_MAIL_FROM: 'Files <files@example.com>',
      },
    })
    expect(c.smtpUrl).toBe('smtps://files:s3cret@mail.example:465')
    expect(c.mailFrom).toBe('Files <files@example.com>')
    expect(loadConfig({ env: { PSITRANSFER_SMTP_URL: 'false' } }).smtpUrl).toBeNull()
    let message = ''
    try {
      loadConfig({ env: { PSITRANSFER_SMTP_URL: 'http://files:s3cret@mail.example' } })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toMatch(/smtpUrl.*smtp:\/\/… or smtps:\/\/…/)
    expect(message).not.toContain('s3cret')
    for (const from of [
      'files@example.com\r\nBcc: x@y.example',
      'no address',
      'a <b@c.example> d <e@f.example>',
    ]) {
      expect(() => loadConfig({ env: { PSITRANSFER_MAIL_FROM: from } }), from).toThrow(/mailFrom/)
    }
  })

  it('reads the storage section through the store definition', async () => {
    const storage = async (env: Record<string, string>, readFile?: () => string) =>
      (await loadServerConfig({ env, ...(readFile ? { readFile } : {}) })).config.storage
    expect(
      await storage({
        PSITRANSFER_STORAGE_TYPE: 's3',
        PSITRANSFER_STORAGE_BUCKET: 'bkt',
        PSITRANSFER_STORAGE_REGION: 'us-east-1',
        PSITRANSFER_STORAGE_ENDPOINT: 'http://127.0.0.1:9000',
        PSITRANSFER_STORAGE_FORCE_PATH_STYLE: 'true',
        PSITRANSFER_STORAGE_ACCESS_KEY_ID: 'AK',
        PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: 'SK',
        PSITRANSFER_STORAGE_SIGNED_URL_EXPIRY: '600',
        PSITRANSFER_STORAGE_PREFIX: 'psi/',
        PSITRANSFER_STORAGE_PART_SIZE: '8388608',
      }),
    ).toEqual({
      type: 's3',
      bucket: 'bkt',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      signedUrlExpiry: 600,
      prefix: 'psi/',
      partSize: 8388608,
    })
    expect(
      await storage({
        PSITRANSFER_STORAGE_TYPE: 's3',
        PSITRANSFER_STORAGE_BUCKET: 'bkt',
        PSITRANSFER_STORAGE_ADAPTIVE_PART_SIZE: 'false',
      }),
    ).toEqual({ type: 's3', bucket: 'bkt', adaptivePartSize: false })
    // Every S3 store option has its variable; temporary credentials keep their session token.
    expect(
      await storage({
        PSITRANSFER_STORAGE_TYPE: 's3',
        PSITRANSFER_STORAGE_BUCKET: 'bkt',
        PSITRANSFER_STORAGE_ACCESS_KEY_ID: 'AK',
        PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: 'SK',
        PSITRANSFER_STORAGE_SESSION_TOKEN: 'ST',
        PSITRANSFER_STORAGE_DEFERRED_PART_SIZE: '33554432',
        PSITRANSFER_STORAGE_MAX_CONCURRENT_PART_UPLOADS: '2',
        PSITRANSFER_STORAGE_MAX_BUFFERED_BYTES: '67108864',
        PSITRANSFER_STORAGE_CHECKSUMS: 'when-supported',
        PSITRANSFER_STORAGE_LOCK_TTL: '30',
        PSITRANSFER_STORAGE_MAX_ATTEMPTS: '5',
        PSITRANSFER_STORAGE_REQUEST_TIMEOUT_MS: '20000',
      }),
    ).toEqual({
      type: 's3',
      bucket: 'bkt',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
      deferredPartSize: 33554432,
      maxConcurrentPartUploads: 2,
      maxBufferedBytes: 67108864,
      checksums: 'when-supported',
      lockTtl: 30,
      maxAttempts: 5,
      requestTimeoutMs: 20000,
    })
    const file = () =>
      JSON.stringify({
        storage: {
          type: 's3',
          bucket: 'bkt',
          credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
        },
      })
    const fromFile = (await storage({ PSITRANSFER_CONFIG: '/etc/psitransfer.json' }, file)) as {
      credentials?: unknown
    }
    expect(fromFile.credentials).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' })
    // A variable overrides one field of the file's credentials and keeps the others.
    expect(
      (
        (await storage(
          { PSITRANSFER_CONFIG: '/etc/psitransfer.json', PSITRANSFER_STORAGE_SESSION_TOKEN: 'ST2' },
          file,
        )) as { credentials?: unknown }
      ).credentials,
    ).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST2' })
    // The filesystem store's knobs too (each store validates its own section at boot).
    expect(
      await storage({
        PSITRANSFER_STORAGE_FSYNC: 'always',
        PSITRANSFER_STORAGE_METADATA_CALLS: 'thread-pool',
      }),
    ).toEqual({ type: 'filesystem', fsync: 'always', metadataCalls: 'thread-pool' })
  })

  it("names the variable and value of a bad store setting, and the store type of a variable it doesn't read", async () => {
    const load = (env: Record<string, string>) => loadServerConfig({ env })
    await expect(
      load({
        PSITRANSFER_STORAGE_TYPE: 's3',
        PSITRANSFER_STORAGE_BUCKET: 'bkt',
        PSITRANSFER_STORAGE_PART_SIZE: 'abc',
      }),
    ).rejects.toThrow('PSITRANSFER_STORAGE_PART_SIZE: expected a number, got "abc"')
    await expect(
      load({
        PSITRANSFER_STORAGE_TYPE: 's3',
        PSITRANSFER_STORAGE_BUCKET: 'bkt',
        PSITRANSFER_STORAGE_PART_SIZE: '5',
      }),
    ).rejects.toThrow(
      /storage\.partSize \(PSITRANSFER_STORAGE_PART_SIZE\): must be an integer from 5242880 bytes .*\(got 5\)/,
    )
    await expect(load({ PSITRANSFER_STORAGE_TYPE: 's3' })).rejects.toThrow(
      /storage\.bucket \(PSITRANSFER_STORAGE_BUCKET\): is required for storage.type "s3"/,
    )
    // An S3 variable with the filesystem store is a mistake, not silently ignored.
    const err = await load({ PSITRANSFER_STORAGE_BUCKET: 'bkt' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(
      /^PSITRANSFER_STORAGE_BUCKET: unknown setting for storage.type "filesystem" \(it reads: PSITRANSFER_STORAGE_UPLOAD_DIR, /,
    )
    // The store's package is found (or not) before anything else about the section.
    await expect(load({ PSITRANSFER_STORAGE_TYPE: 'ftp' })).rejects.toThrow(
      /No installed package provides storage.type "ftp"; tried @psitransfer\/store-ftp \(not installed\)/,
    )
    await expect(load({ PSITRANSFER_STORAGE_TYPE: '../x' })).rejects.toThrow(/storage.type/)
  })

  it('names the variable and value of a bad setting', () => {
    expect(() => loadConfig({ env: { PSITRANSFER_PORT: 'abc' } })).toThrow(
      /PSITRANSFER_PORT: expected a number, got "abc"/,
    )
    expect(() => loadConfig({ env: { PSITRANSFER_DISABLE_QR_CODE: 'maybe' } })).toThrow(
      /PSITRANSFER_DISABLE_QR_CODE/,
    )
    expect(() => loadConfig({ env: { PSITRANSFER_PORT: '70000' } })).toThrow(
      /port \(PSITRANSFER_PORT\).*got 70000/,
    )
    expect(() => loadConfig({ env: { PSITRANSFER_BASE_URL: 'psi' } })).toThrow(/baseUrl.*got "psi"/)
    expect(() => loadConfig({ env: { PSITRANSFER_RETENTIONS: '{oops' } })).toThrow(
      /PSITRANSFER_RETENTIONS: expected JSON/,
    )
    expect(() => loadConfig({ env: { PSITRANSFER_NO_SUCH_THING: '1' } })).toThrow(
      /PSITRANSFER_NO_SUCH_THING: unknown/,
    )
    expect(() => loadConfig({ env: { PSITRANSFER_DEFAULT_RETENTION: '5' } })).toThrow(
      /defaultRetention.*must be one of/,
    )
    expect(() => loadConfig({ env: { PSITRANSFER_FILE_UPLOADED_WEBHOOK: 'ftp://x' } })).toThrow(
      /fileUploadedWebhook/,
    )
  })

  it('never prints secret values in errors', async () => {
    let message = ''
    try {
      await loadServerConfig({
        env: {
          PSITRANSFER_STORAGE: JSON.stringify({
            type: 's3',
            bucket: 'bkt',
            credentials: { accessKeyId: 'AKIA', secretAccessKey: 42 },
          }),
        },
      })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toMatch(/storage\.credentials\.secretAccessKey/)
    expect(message).not.toContain('42')
  })

  it('ignores unrelated variables and PsiTransfer keys we do not use', () => {
    const c = loadConfig({ env: { HOME: '/root', PSITRANSFER_SSL_PORT: '8443', PSITRANSFER_PLUGINS: 'x' } })
    expect(c.port).toBe(3000)
  })
})

describe('URL paths and sid length, as in PsiTransfer', () => {
  const paths = (env: Record<string, string>) => {
    const c = loadConfig({ env })
    return [c.baseUrl, c.uploadAppPath]
  }

  it('adds missing trailing slashes', () => {
    expect(paths({ PSITRANSFER_BASE_URL: '/psi' })).toEqual(['/psi/', '/psi/'])
    expect(paths({ PSITRANSFER_BASE_URL: '/a/b', PSITRANSFER_UPLOAD_APP_PATH: '/up' })).toEqual([
      '/a/b/',
      '/a/b/up/',
    ])
    expect(parseConfig({ baseUrl: '/psi', uploadAppPath: '/x/y' }).uploadAppPath).toBe('/psi/x/y/')
  })

  it('resolves uploadAppPath below baseUrl', () => {
    expect(paths({})).toEqual(['/', '/'])
    expect(paths({ PSITRANSFER_BASE_URL: '/psi/' })).toEqual(['/psi/', '/psi/'])
    expect(paths({ PSITRANSFER_UPLOAD_APP_PATH: '/upload/' })).toEqual(['/', '/upload/'])
    expect(paths({ PSITRANSFER_BASE_URL: '/psi/', PSITRANSFER_UPLOAD_APP_PATH: '/upload/' })).toEqual([
      '/psi/',
      '/psi/upload/',
    ])
  })

  it('still refuses relative or odd paths', () => {
    expect(() => loadConfig({ env: { PSITRANSFER_BASE_URL: 'psi' } })).toThrow(/baseUrl.*got "psi"/)
    expect(() => loadConfig({ env: { PSITRANSFER_UPLOAD_APP_PATH: 'up' } })).toThrow(/uploadAppPath/)
    expect(() => parseConfig({ baseUrl: '/a//b/' })).toThrow(/baseUrl/)
    expect(() => parseConfig({ baseUrl: '/a b/' })).toThrow(/baseUrl/)
    expect(() => parseConfig({ uploadAppPath: 3 })).toThrow(/uploadAppPath/)
  })

  it('accepts PSITRANSFER_RANDOM_DOWNLOAD_SID_LENGTH within bounds', () => {
    expect(parseConfig().randomDownloadSidLength).toBe(22)
    expect(
      loadConfig({ env: { PSITRANSFER_RANDOM_DOWNLOAD_SID_LENGTH: '12' } }).randomDownloadSidLength,
    ).toBe(12)
    expect(parseConfig({ randomDownloadSidLength: 64 }).randomDownloadSidLength).toBe(64)
    for (const bad of ['11', '65', '12.5', 'twelve']) {
      expect(() => loadConfig({ env: { PSITRANSFER_RANDOM_DOWNLOAD_SID_LENGTH: bad } }), bad).toThrow(
        /RANDOM_DOWNLOAD_SID_LENGTH/,
      )
    }
  })
})

describe('config file', () => {
  it('is merged under the environment', () => {
    const files: Record<string, string> = {
      '/etc/psi.json': JSON.stringify({
        port: 4000,
        maxFileSize: 10,
        storage: { type: 'filesystem', fsync: 'always' },
      }),
    }
    const c = loadConfig({
      env: { PSITRANSFER_CONFIG: '/etc/psi.json', PSITRANSFER_PORT: '5000' },
      readFile: (p) => {
        const f = files[p]
        if (f === undefined) throw new Error('ENOENT')
        return f
      },
    })
    expect(c.port).toBe(5000)
    expect(c.maxFileSize).toBe(10)
    expect(c.storage).toEqual({ type: 'filesystem', fsync: 'always' })
  })

  it('reports unreadable files, bad JSON and unknown keys', () => {
    const read = (text: string) => () => text
    expect(() =>
      loadConfig({
        env: { PSITRANSFER_CONFIG: '/nope.json' },
        readFile: () => {
          throw new Error('ENOENT')
        },
      }),
    ).toThrow(/cannot read "\/nope.json"/)
    expect(() => loadConfig({ env: { PSITRANSFER_CONFIG: '/x.json' }, readFile: read('[1]') })).toThrow(
      ConfigError,
    )
    expect(() =>
      loadConfig({ env: { PSITRANSFER_CONFIG: '/x.json' }, readFile: read('{"prot": 1}') }),
    ).toThrow(/prot: unknown setting/)
  })

  it('allows custom expiry dates by default and "until deleted" only when asked for, without maxAge', () => {
    expect(parseConfig()).toMatchObject({ customExpiry: true, allowNoExpiry: false })
    expect(loadConfig({ env: { PSITRANSFER_CUSTOM_EXPIRY: 'false' } }).customExpiry).toBe(false)
    const c = loadConfig({ env: { PSITRANSFER_ALLOW_NO_EXPIRY: 'true', PSITRANSFER_MAX_AGE: 'false' } })
    expect(c).toMatchObject({ allowNoExpiry: true, maxAge: null })
    // With a maxAge files would expire anyway: the operator is told at boot, not surprised later.
    expect(() => parseConfig({ allowNoExpiry: true })).toThrow(/allowNoExpiry.*needs maxAge: false/)
    // An inherited name is no retention key.
    expect(() => parseConfig({ defaultRetention: 'constructor' })).toThrow(/defaultRetention.*must be one of/)
    expect(() => loadConfig({ env: { PSITRANSFER_ALLOW_NO_EXPIRY: 'yes please' } })).toThrow(
      /PSITRANSFER_ALLOW_NO_EXPIRY/,
    )
  })

  it('accepts "false" for maxAge (no upper bound)', () => {
    expect(parseConfig({ maxAge: false }).maxAge).toBeNull()
    expect(configFromEnv({ PSITRANSFER_MAX_AGE: 'false' })).toEqual({ maxAge: null })
  })
})
