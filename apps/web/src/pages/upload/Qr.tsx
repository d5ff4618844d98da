import { encode } from 'uqr'

/**
 * The share link as a QR code, drawn as one SVG path in the page (no image request, no canvas). The
 * matrix comes from uqr; each dark module becomes a 1×1 square in the path.
 */
export function qrPath(text: string): { size: number; d: string } {
  const { data, size } = encode(text, { ecc: 'M', border: 2 })
  let d = ''
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`
    })
  })
  return { size, d }
}

export function Qr({ text, label }: { text: string; label: string }) {
  const { size, d } = qrPath(text)
  return (
    <svg
      class="qr"
      viewBox={`0 0 ${size} ${size}`}
      width="200"
      height="200"
      role="img"
      aria-label={label}
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  )
}
