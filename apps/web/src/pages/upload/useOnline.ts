import { useEffect, useRef, useState } from 'preact/hooks'

/** Whether the browser is online; `onBack` runs when the connection returns. */
export function useOnline(onBack: () => void): boolean {
  const [online, setOnline] = useState(navigator.onLine)
  const back = useRef(onBack)
  back.current = onBack
  useEffect(() => {
    const on = () => {
      setOnline(true)
      back.current()
    }
    const off = () => setOnline(false)
    window.addEventListener('online', on)
    window.addEventListener('offline', off)
    return () => {
      window.removeEventListener('online', on)
      window.removeEventListener('offline', off)
    }
  }, [])
  return online
}
