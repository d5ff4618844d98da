/** localStorage/sessionStorage, or `null` where the browser refuses them (privacy modes, sandboxed frames). */
export function storage(kind: 'local' | 'session'): Storage | null {
  try {
    const s = kind === 'local' ? window.localStorage : window.sessionStorage
    s.getItem('probe')
    return s
  } catch {
    return null
  }
}
