/**
 * The server's JSON shapes, from `types.gen.ts`: generated from the server's OpenAPI document,
 * which is built from the zod schemas the server validates with (apps/server/src/api/schemas.ts).
 * Never edit shapes here: change the schema, run `pnpm --filter @psitransfer/server gen:api-types`.
 * Only what the web app reads is narrowed here (PsiTransfer's record fields it ignores are left out).
 */
import type { components } from './types.gen.js'

type Schemas = components['schemas']

export type ErrorBody = Schemas['ErrorBody']
export type ClientConfig = Schemas['ClientConfig']
/** `lang.json` also holds PsiTransfer's translation object; the web app reads only its own part. */
export type LangResponse = Pick<Schemas['LangJson'], 'lang' | 'messages'>
/** A listing item without PsiTransfer's stored-record fields (`metadata`, `offset`, …), which it does not read. */
export type BucketItem = Omit<Schemas['BucketItem'], 'metadata' | 'uploadLength' | 'offset' | 'isPartial'>
export type Bucket = Omit<Schemas['BucketListing'], 'items'> & { items: BucketItem[] }
export type AdminFile = Schemas['AdminFile']
export type AdminBucket = Schemas['AdminBucket']
export type AdminData = Schemas['AdminData']
export type ManageLink = Schemas['ManageLink']
export type ManagedFile = Schemas['ManagedFile']
export type ManagedBucket = Schemas['ManageState']
export type ManageEdit = Schemas['ManageEdit']
export type ManageMail = Schemas['ManageMail']
export type RequestInfo = Schemas['RequestInfo']
export type NewRequest = Schemas['RequestCreate']
export type MadeRequest = Schemas['RequestMade']
export type DirectCreated = Schemas['DirectCreated']
export type DirectParts = Schemas['DirectParts']
export type DirectStatus = Schemas['DirectStatus']
