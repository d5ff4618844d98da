import { useRef } from 'preact/hooks'
import { fromFileList, type PickedFile } from '../../upload/collect.js'

/** A button that opens the browser's file (or folder) picker; the input itself is hidden. */
export function FilePickButton({
  label,
  onFiles,
  folder,
}: {
  label: string
  onFiles(f: PickedFile[]): void
  folder?: boolean
}) {
  const ref = useRef<HTMLInputElement>(null)
  const id = folder ? 'pick-folder' : 'pick-files'
  return (
    <>
      <button type="button" class="btn" onClick={() => ref.current?.click()}>
        {label}
      </button>
      <input
        ref={ref}
        id={id}
        data-testid={id}
        type="file"
        class="sr-only"
        tabIndex={-1}
        aria-hidden="true"
        multiple
        {...(folder ? { webkitdirectory: true } : {})}
        onChange={(e) => {
          const input = e.currentTarget as HTMLInputElement
          onFiles(fromFileList(input.files ?? []))
          // Picking the same file again must fire another change.
          input.value = ''
        }}
      />
    </>
  )
}
