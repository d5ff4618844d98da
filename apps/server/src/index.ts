/**
 * `@psitransfer/server`: the PsiTransfer HTTP server as a library (tests, embedding).
 * `main.ts` is the executable.
 * @module
 */
export { createApp } from './app.js'
export { type Config, ConfigError, configSchema, loadConfig, parseConfig } from './config.js'
export type { CreateAppOptions } from './deps.js'
export { createJsonLogger, type Logger, silentLogger } from './logger.js'
export { Metrics } from './metrics.js'
export { type RunningServer, type StartOptions, startServer } from './server.js'
export { Sweeper } from './sweeper.js'
export { WebhookSender } from './webhooks.js'
