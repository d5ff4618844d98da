/**
 * The store's modules import each other in one direction only (type imports included): a loop
 * such as the old context.ts ↔ pending.ts makes every module in it depend on all the others.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const SRC = new URL('.', import.meta.url).pathname
const LOCAL = /\bfrom\s+'\.\/([\w-]+)\.js'/g

describe('module imports', () => {
  it('form no cycle', () => {
    const modules = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.includes('.test.'))
    const imports = new Map(
      modules.map((f) => [
        f.slice(0, -3),
        [...readFileSync(SRC + f, 'utf8').matchAll(LOCAL)].map((m) => m[1] as string),
      ]),
    )
    expect(imports.size).toBeGreaterThan(10)
    const cycles: string[] = []
    const done = new Set<string>()
    const visit = (name: string, path: string[]) => {
      if (path.includes(name)) {
        cycles.push([...path.slice(path.indexOf(name)), name].join(' → '))
        return
      }
      if (done.has(name)) return
      for (const dep of imports.get(name) ?? []) visit(dep, [...path, name])
      done.add(name)
    }
    for (const name of imports.keys()) visit(name, [])
    expect(cycles).toEqual([])
  })
})
