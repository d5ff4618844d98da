// Lets child processes spawned by tests run the TypeScript sources directly (Node 20 cannot
// strip types): `node --import ./ts-loader.mjs script.ts`. Transpile only, no type checking.
import { register } from 'node:module'

register('./ts-hooks.mjs', import.meta.url)
