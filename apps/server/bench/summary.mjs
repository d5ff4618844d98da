// Turns the harness's JSON lines into a markdown table: our server against the peers of one
// family (FS: raw-sink and @tus/server; S3: @tus/server + s3-store and the bare SDK; archives:
// the same files one by one) per scenario, with ratios of medians and their range across rounds (drift).

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

const fmt = (x, d = 1) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(d))

/**
 * `runs`: `{ peer, scenario, round, line }` for every "run" line (warm-ups excluded);
 * `background`: `{ scenario, busyCores }` sampled before each call.
 */
export function summarize({ runs, background, ours, peers }) {
  const scenarios = [...new Set(runs.map((r) => r.scenario))]
  const rows = []
  for (const scenario of scenarios) {
    const of = (peer, round) =>
      runs.filter(
        (r) => r.scenario === scenario && r.peer === peer && (round === undefined || r.round === round),
      )
    const stat = (peer) => {
      const rs = of(peer).map((r) => r.line)
      if (rs.length === 0) return null
      const mib = rs.map((l) => l.mibPerS)
      return {
        reps: rs.length,
        mib: median(mib),
        min: Math.min(...mib),
        max: Math.max(...mib),
        perS: median(rs.map((l) => l.filesPerS ?? l.reqPerS)),
        // null when no server process was measured (the bare-SDK peer has none)
        rss: rs.some((l) => l.server?.rss)
          ? Math.max(...rs.map((l) => l.server?.rss?.rssMaxSampledMiB ?? 0))
          : null,
        cpu: median(rs.map((l) => l.server?.cpuS?.total)),
        busy: median(rs.map((l) => l.server?.machine?.busyCores)),
        ok: rs.every((l) => l.ok && (!l.verify || l.verify.ok)),
      }
    }
    const rounds = [...new Set(of(ours[0]).map((r) => r.round))]
    const ratio = (a, b) => {
      const sa = stat(a)
      const sb = stat(b)
      if (!sa || !sb?.mib) return null
      const perRound = rounds
        .map((round) => {
          const x = median(of(a, round).map((r) => r.line.mibPerS))
          const y = median(of(b, round).map((r) => r.line.mibPerS))
          return x && y ? x / y : null
        })
        .filter((x) => x !== null)
      return { value: sa.mib / sb.mib, min: Math.min(...perRound), max: Math.max(...perRound) }
    }
    const bg = median(background.filter((b) => b.scenario === scenario.split(':')[0]).map((b) => b.busyCores))
    for (const name of ours) {
      const s = stat(name)
      if (!s) continue
      rows.push({
        scenario,
        name,
        s,
        peers: Object.fromEntries(peers.map((p) => [p, stat(p)])),
        ratios: Object.fromEntries(peers.map((p) => [p, ratio(name, p)])),
        bg,
      })
    }
  }
  return rows
}

const PEER_TITLES = {
  'raw-sink': 'raw-sink',
  'tus-node-server': '@tus/server',
  'tus-s3-store': '@tus/server + s3-store',
  's3-sdk': 'bare SDK',
  'one-by-one': 'one by one',
}

export function renderSummary(rows, peers) {
  const title = (p) => PEER_TITLES[p] ?? p
  const head = [
    'scenario',
    'server',
    'MiB/s median [min-max]',
    'files or req/s',
    ...peers.map((p) => `${title(p)} MiB/s`),
    ...peers.map((p) => `÷ ${title(p)} [rounds]`),
    `peak RSS MiB (${['ours', ...peers.map(title)].join(' / ')})`,
    'server CPU s (same order)',
    'busy cores before → during',
    'reps',
    'verified',
  ]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const r of rows) {
    const ps = peers.map((p) => r.peers[p])
    const cells = [
      r.scenario,
      r.name,
      `${fmt(r.s.mib)} [${fmt(r.s.min)}-${fmt(r.s.max)}]`,
      fmt(r.s.perS, 1),
      ...ps.map((p) => (p ? fmt(p.mib) : '-')),
      ...peers.map((p) => {
        const x = r.ratios[p]
        return x ? `**${fmt(x.value, 2)}×** [${fmt(x.min, 2)}-${fmt(x.max, 2)}]` : '-'
      }),
      [r.s, ...ps].map((p) => (p ? fmt(p.rss, 0) : '-')).join(' / '),
      [r.s, ...ps].map((p) => (p ? fmt(p.cpu, 2) : '-')).join(' / '),
      `${fmt(r.bg, 2)} → ${fmt(r.s.busy, 2)}`,
      [r.s, ...ps].map((p) => (p ? p.reps : 0)).join('/'),
      [r.s, ...ps].every((p) => !p || p.ok) ? 'yes' : 'NO',
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}
