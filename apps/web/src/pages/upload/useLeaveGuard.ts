import { useEffect, useRef } from 'preact/hooks'

/** Asks the browser to confirm leaving the page while `busy()` says work would be lost. */
export function useLeaveGuard(busy: () => boolean, message: string): void {
  const isBusy = useRef(busy)
  isBusy.current = busy
  useEffect(() => {
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (!isBusy.current()) return
      e.preventDefault()
      // Older browsers show (or at least require) the legacy returnValue.
      e.returnValue = message
    }
    window.addEventListener('beforeunload', beforeUnload)
    return () => window.removeEventListener('beforeunload', beforeUnload)
  }, [message])
}
