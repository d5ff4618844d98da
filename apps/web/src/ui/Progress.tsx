/** A native <progress> (announced by screen readers) with the percentage shown next to it. */
export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  const pct = max > 0 ? Math.min(100, Math.floor((value / max) * 100)) : 0
  return (
    <div class="progress">
      <progress value={max > 0 ? value : 0} max={max > 0 ? max : 1} aria-label={label} />
      <span class="progress-pct" aria-hidden="true">
        {pct} %
      </span>
    </div>
  )
}
