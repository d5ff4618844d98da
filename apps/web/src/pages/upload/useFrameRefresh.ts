import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** A function that re-renders the component at most once per animation frame, however often it is called. */
export function useFrameRefresh(): () => void {
  const [, setTick] = useState(0)
  const frame = useRef(0)
  useEffect(() => () => cancelAnimationFrame(frame.current), [])
  return useCallback(() => {
    if (frame.current) return
    frame.current = requestAnimationFrame(() => {
      frame.current = 0
      setTick((n) => n + 1)
    })
  }, [])
}
