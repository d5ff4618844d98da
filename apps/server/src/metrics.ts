/**
 * Prometheus metrics, kept in memory and rendered as text exposition format 0.0.4.
 * @module
 */

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

function labelString(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/["\\\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`))}"`,
  )
  return parts.length ? `{${parts.join(',')}}` : ''
}

export class Metrics {
  readonly #counters = new Map<string, Map<string, number>>()
  readonly #help = new Map<string, { help: string; type: string }>()
  readonly #durations = new Map<string, { buckets: number[]; sum: number; count: number }>()
  activeUploads = 0
  activeDownloads = 0

  constructor() {
    this.#describe('psitransfer_http_requests_total', 'HTTP requests by method and status', 'counter')
    this.#describe('psitransfer_errors_total', 'Error responses by error code', 'counter')
    this.#describe('psitransfer_uploads_created_total', 'Uploads created', 'counter')
    this.#describe('psitransfer_uploads_completed_total', 'Uploads completed', 'counter')
    this.#describe('psitransfer_upload_bytes_total', 'Bytes received into the store', 'counter')
    this.#describe('psitransfer_download_bytes_total', 'Bytes sent in file and archive downloads', 'counter')
    this.#describe(
      'psitransfer_downloads_total',
      'Completed downloads by kind (file, zip, tar.gz)',
      'counter',
    )
    this.#describe('psitransfer_files_expired_total', 'Files removed by the retention sweeper', 'counter')
    this.#describe(
      'psitransfer_webhook_failures_total',
      'Webhook deliveries that failed after all retries',
      'counter',
    )
    this.#describe('psitransfer_mail_failures_total', 'Mails that failed after all retries', 'counter')
  }

  #describe(name: string, help: string, type: string): void {
    this.#help.set(name, { help, type })
    this.#counters.set(name, new Map())
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const series = this.#counters.get(name)
    if (!series) throw new Error(`unknown metric ${name}`)
    const key = labelString(labels)
    series.set(key, (series.get(key) ?? 0) + by)
  }

  /** Request duration in seconds, by method. */
  observeDuration(method: string, seconds: number): void {
    const key = labelString({ method })
    let h = this.#durations.get(key)
    if (!h) {
      h = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }
      this.#durations.set(key, h)
    }
    for (let i = 0; i < DURATION_BUCKETS.length; i++)
      if (seconds <= (DURATION_BUCKETS[i] as number)) h.buckets[i]!++
    h.sum += seconds
    h.count++
  }

  render(): string {
    const lines: string[] = []
    for (const [name, series] of this.#counters) {
      const meta = this.#help.get(name)!
      lines.push(`# HELP ${name} ${meta.help}`, `# TYPE ${name} ${meta.type}`)
      if (series.size === 0) lines.push(`${name} 0`)
      for (const [labels, value] of series) lines.push(`${name}${labels} ${value}`)
    }
    lines.push('# HELP psitransfer_active_uploads Upload requests currently writing to the store')
    lines.push('# TYPE psitransfer_active_uploads gauge', `psitransfer_active_uploads ${this.activeUploads}`)
    lines.push('# HELP psitransfer_active_downloads Downloads currently streaming')
    lines.push(
      '# TYPE psitransfer_active_downloads gauge',
      `psitransfer_active_downloads ${this.activeDownloads}`,
    )
    const h = 'psitransfer_http_request_duration_seconds'
    lines.push(`# HELP ${h} HTTP request duration by method`, `# TYPE ${h} histogram`)
    for (const [labels, d] of this.#durations) {
      const inner = labels.slice(1, -1)
      DURATION_BUCKETS.forEach((le, i) => {
        lines.push(`${h}_bucket{${inner},le="${le}"} ${d.buckets[i]}`)
      })
      lines.push(
        `${h}_bucket{${inner},le="+Inf"} ${d.count}`,
        `${h}_sum${labels} ${d.sum}`,
        `${h}_count${labels} ${d.count}`,
      )
    }
    return `${lines.join('\n')}\n`
  }
}
