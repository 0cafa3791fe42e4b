/**
 * A loop of one client's requests against the loopback fake, for `node --cpu-prof` (not part of `npm run bench`):
 *   node scripts/node22.mjs --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx effect4/bench/profile.ts ours getTokenDetails 20000
 * Clients: ours (effect4-plex-auth), bare (effect/http), plexjs, fetch.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import { load, type Operation, plexjs, rawFetch } from "../../bench/common.js"
import type { Served } from "../../bench/shared.js"
import { effect4PlexAuth, effectHttp } from "./clients.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const [which = "ours", operation = "getTokenDetails", count = "20000", conc = "1"] = process.argv.slice(2)
const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "server.ts")], {
  cwd: root,
  stdio: ["pipe", "pipe", "inherit"]
})
const line = await new Promise<string>((resolve) =>
  readline.createInterface({ input: child.stdout }).once("line", resolve)
)
const served = JSON.parse(line) as Served
const make = { ours: effect4PlexAuth, bare: effectHttp, plexjs, fetch: rawFetch }[which]!
const client = make(served)
const request = client.request[operation as Operation]
await load(request, 500, Number(conc))
const before = process.cpuUsage()
const t0 = performance.now()
await load(request, Number(count), Number(conc))
const cpu = process.cpuUsage(before)
process.stdout.write(
  `${which} ${operation}: ${((cpu.user + cpu.system) / Number(count)).toFixed(1)} µs CPU/request, ${((Number(count) / (performance.now() - t0)) * 1000).toFixed(0)} req/s\n`
)
await client.dispose()
child.stdin.end()
