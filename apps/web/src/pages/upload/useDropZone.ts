import { useEffect, useState } from 'preact/hooks'
import { fromDataTransfer, type PickedFile } from '../../upload/collect.js'

/** Drops anywhere on the page add files. Returns whether something is being dragged over the page. */
export function useDropZone(enabled: boolean, onFiles: (files: PickedFile[]) => void): boolean {
  const [over, setOver] = useState(false)
  useEffect(() => {
    if (!enabled) {
      setOver(false)
      return
    }
    let depth = 0
    const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files')
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return
      e.preventDefault()
      depth++
      setOver(true)
    }
    const overHandler = (e: DragEvent) => {
      if (!hasFiles(e)) return
      e.preventDefault()
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
    }
    const leave = () => {
      depth = Math.max(0, depth - 1)
      if (depth === 0) setOver(false)
    }
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer || !hasFiles(e)) return
      e.preventDefault()
      depth = 0
      setOver(false)
      fromDataTransfer(e.dataTransfer).then(onFiles, () => {})
    }
    window.addEventListener('dragenter', enter)
    window.addEventListener('dragover', overHandler)
    window.addEventListener('dragleave', leave)
    window.addEventListener('drop', drop)
    return () => {
      window.removeEventListener('dragenter', enter)
      window.removeEventListener('dragover', overHandler)
      window.removeEventListener('dragleave', leave)
      window.removeEventListener('drop', drop)
    }
  }, [enabled, onFiles])
  return over
}
