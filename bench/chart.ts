/** The throughput chart of docs/benchmarks.md: plain SVG, written by hand. */

export interface Bar {
  readonly label: string
  readonly value: number
}

export interface Group {
  readonly title: string
  readonly bars: ReadonlyArray<Bar>
}

const colors = ["#9aa0a6", "#6b8e9f", "#4f46e5", "#e5a00d"]

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** Horizontal bars, one group per scenario, one bar per client, labelled with their values. */
export const barChart = (options: {
  readonly title: string
  readonly unit: string
  readonly groups: ReadonlyArray<Group>
}): string => {
  const width = 720
  const labelWidth = 200
  const valueWidth = 90
  const barHeight = 18
  const gap = 4
  const groupGap = 34
  const top = 44
  const plot = width - labelWidth - valueWidth
  const max = Math.max(...options.groups.flatMap((group) => group.bars.map((bar) => bar.value)))
  const lines: Array<string> = []
  let y = top
  for (const group of options.groups) {
    lines.push(`<text x="8" y="${y - 8}" class="group">${escape(group.title)}</text>`)
    group.bars.forEach((bar, i) => {
      const length = max > 0 ? Math.max(1, (bar.value / max) * plot) : 1
      const color = colors[i % colors.length]
      lines.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 5}" text-anchor="end">${escape(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${color}"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + barHeight - 5}">${Math.round(bar.value).toLocaleString("en-US")} ${escape(options.unit)}</text>`
      )
      y += barHeight + gap
    })
    y += groupGap - gap
  }
  const height = y - groupGap + 16
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<style>text { fill: #333 } .title { font-size: 15px; font-weight: 600 } .group { font-weight: 600 }</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" class="title">${escape(options.title)}</text>`,
    ...lines,
    `</svg>`,
    ""
  ].join("\n")
}
