// Type-checked (tsconfig.json) against the installed @psitransfer/e2e declarations as a Node
// consumer without the DOM lib; not run.
import {
  createEncryptor,
  decrypt,
  generateKey,
  keyFromLink,
  linkWithKey,
  sealMetadata,
} from '@psitransfer/e2e'

const key = generateKey()
const enc = await createEncryptor(key)
/** @type {string} */
const blob = await sealMetadata(key, { name: 'a.txt' }, enc.salt)
const link = linkWithKey(`https://psi.example/abc#${blob.length}`, key)
const parsed = keyFromLink(link)
if (parsed)
  for await (const chunk of decrypt(parsed, enc.encrypt([new Uint8Array(3)]))) chunk.byteLength.toFixed()
