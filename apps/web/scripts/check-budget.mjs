#!/usr/bin/env node
// Fails the build when the upload page's JavaScript exceeds its gzip budget (default 100 KiB).
// Counted: the entry chunk, everything it imports statically, and the largest language chunk (a visitor
// loads exactly one). Not counted: the download and admin pages, separate chunks the upload page never loads.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const budget = Number(process.env.PSI_UPLOAD_JS_BUDGET ?? 100 * 1024)
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'))

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry)
if (!entryKey) throw new Error('check-budget: no entry in dist/.vite/manifest.json')

const counted = new Map()
const visit = (key) => {
  const chunk = manifest[key]
  if (!chunk || counted.has(chunk.file)) return
  counted.set(chunk.file, gz(chunk.file))
  for (const imp of chunk.imports ?? []) visit(imp)
}
visit(entryKey)

const locales = Object.keys(manifest).filter((k) => /\/i18n\/locales\/[\w-]+\.ts$/.test(k))
let largestLocale = null
for (const key of locales) {
  const size = gz(manifest[key].file)
  if (!largestLocale || size > largestLocale.size) largestLocale = { file: manifest[key].file, size }
}
if (largestLocale) counted.set(`${largestLocale.file} (largest language)`, largestLocale.size)

const total = [...counted.values()].reduce((a, b) => a + b, 0)
for (const [file, size] of counted)
  console.log(`  ${file.padEnd(48)} ${(size / 1024).toFixed(1).padStart(7)} KiB gzip`)
const line = `upload page JS: ${(total / 1024).toFixed(1)} KiB gzip (budget ${(budget / 1024).toFixed(0)} KiB)`
if (total > budget) {
  console.error(`check-budget: FAIL ${line}`)
  process.exit(1)
}
console.log(`check-budget: ok ${line}`)
