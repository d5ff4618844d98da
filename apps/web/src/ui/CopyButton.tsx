import { useState } from 'preact/hooks'
import { useI18n } from '../i18n/context.js'

/** Copies text to the clipboard; falls back to execCommand where the Clipboard API is missing (http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const area = document.createElement('textarea')
    area.value = text
    area.setAttribute('readonly', '')
    area.style.position = 'fixed'
    area.style.opacity = '0'
    document.body.append(area)
    area.select()
    const ok = document.execCommand('copy')
    area.remove()
    return ok
  }
}

export function CopyButton({ text, label, class: cls }: { text: string; label: string; class?: string }) {
  const { t } = useI18n()
  const [state, setState] = useState<'idle' | 'ok' | 'fail'>('idle')
  const onClick = async () => {
    setState((await copyText(text)) ? 'ok' : 'fail')
    setTimeout(() => setState('idle'), 2500)
  }
  return (
    <>
      <button type="button" class={cls ?? 'btn'} onClick={onClick} aria-label={label} title={label}>
        {state === 'ok' ? t('copied') : t('copy')}
      </button>
      <span class="sr-only" role="status">
        {state === 'ok' ? t('copied') : state === 'fail' ? t('copyFailed') : ''}
      </span>
    </>
  )
}
