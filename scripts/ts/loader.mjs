// Lets child processes spawned by tests run our TypeScript sources directly (Node 20 cannot
// strip types): `node --import <repo>/scripts/ts/loader.mjs script.ts`. Transpile only, no type
// checking. Used by the stores' crash tests (a child process that is killed mid-append).
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
