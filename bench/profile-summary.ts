// Summarises a V8 .cpuprofile: self and inclusive time per function and per package.
//   npx tsx bench/profile-summary.ts bench/.cache/profiles/CPU.*.cpuprofile [--top 30]
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Which package a frame belongs to, from its script URL. */
function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : 'native'
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nodeModule) return nodeModule[1]!
  if (url.startsWith('node:')) return 'node internals'
  if (url.includes('/src/')) return 'taskstore src'
  if (url.includes('/bench/')) return 'bench harness'
  return 'other'
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const file = url.replace(/^.*\/(node_modules\/)?/, '').replace(/^file:\/\//, '')
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, grep: { type: 'string' } },
  })
  const top = Number(values.top)
  for (const file of positionals) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
    const byId = new Map(profile.nodes.map((node) => [node.id, node]))
    const parent = new Map<number, number>()
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
    const self = new Map<string, number>()
    const inclusive = new Map<string, number>()
    const packages = new Map<string, number>()
    let total = 0
    profile.samples.forEach((id, k) => {
      const delta = profile.timeDeltas[k] ?? 0
      const node = byId.get(id)!
      total += delta
      self.set(label(node), (self.get(label(node)) ?? 0) + delta)
      packages.set(
        packageOf(node.callFrame.url, node.callFrame.functionName),
        (packages.get(packageOf(node.callFrame.url, node.callFrame.functionName)) ?? 0) + delta,
      )
      const seen = new Set<string>()
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const name = label(byId.get(at)!)
        if (seen.has(name)) continue
        seen.add(name)
        inclusive.set(name, (inclusive.get(name) ?? 0) + delta)
      }
    })
    const busy = total - (self.get('(idle) :0') ?? 0)
    const rows = (map: Map<string, number>, filter?: RegExp) =>
      [...map.entries()]
        .filter(([name]) => !filter || filter.test(name))
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(
          ([name, us]) =>
            `${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
        )
    process.stdout.write(
      [
        `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time)`,
        '',
        'Self time by package',
        ...rows(packages),
        '',
        'Self time by function',
        ...rows(self),
        '',
        'Inclusive time by function',
        ...rows(inclusive),
        '',
        ...(values.grep
          ? [`Inclusive time of functions matching /${values.grep}/`, ...rows(inclusive, new RegExp(values.grep)), '']
          : []),
      ].join('\n'),
    )
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
