/**
 * `@psitransfer/core`: pure domain, ports and protocol. No Node-only APIs, no HTTP framework,
 * no SDK; everything runs on plain data, Web streams/`AsyncIterable<Uint8Array>` and Web Crypto.
 * @module
 */
export * from './abortable.js'
export * from './clock.js'
export * from './content-disposition.js'
export * from './download-limit.js'
export * from './errors.js'
export * from './ids.js'
export * from './locker.js'
export * from './meta.js'
export * from './range.js'
export * from './registry.js'
export * from './resumable/index.js'
export * from './store.js'
export * from './tus/index.js'
export * from './whole-body.js'
