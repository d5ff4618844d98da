import type { FileKind } from '../lib/filetype.js'

// One 24×24 outline per category; the page shows the file name next to it, so the icon is decorative.
const GLYPHS: Record<FileKind, string> = {
  file: 'M6 2h8l6 6v14H6zM14 2v6h6',
  text: 'M6 2h8l6 6v14H6zM14 2v6h6M9 13h8M9 17h8M9 9h3',
  code: 'M6 2h8l6 6v14H6zM14 2v6h6M10 12l-2 3 2 3M16 12l2 3-2 3',
  image: 'M3 4h18v16H3zM3 16l5-5 4 4 3-3 6 6M15.5 8.5a1.5 1.5 0 1 0 .01 0',
  video: 'M3 5h13v14H3zM16 10l5-3v10l-5-3',
  audio: 'M9 18V5l11-2v13M9 18a3 3 0 1 1-.01 0M20 16a3 3 0 1 1-.01 0',
  pdf: 'M6 2h8l6 6v14H6zM14 2v6h6M8 17h2.5a1.5 1.5 0 0 0 0-3H8v5M14 14v5h1.5a2.5 2.5 0 0 0 0-5z',
  archive: 'M4 3h16v18H4zM12 3v2M12 7v2M12 11v2M10 15h4v3h-4z',
}

export function FileIcon({ kind }: { kind: FileKind }) {
  return (
    <svg
      class={`icon icon-${kind}`}
      viewBox="0 0 24 24"
      width="28"
      height="28"
      aria-hidden="true"
      focusable="false"
    >
      <path
        d={GLYPHS[kind]}
        fill="none"
        stroke="currentColor"
        stroke-width="1.6"
        stroke-linejoin="round"
        stroke-linecap="round"
      />
    </svg>
  )
}
