/**
 * The engine's own CPU per request, without the network: effect-plex-auth
 * beside the bare `@effect/platform` `HttpClient`, both over a `fetch` that
 * answers at once with what the loopback fake answered (recorded at the
 * start). What is left is what each client does around `fetch`. Interleaved
 * rounds; the ratio (ours over bare) is taken round by round. Not part of
 * `npm run bench` (which measures over the loopback): a tool for iterating.
 *
 * Shared by bench/engine.ts (the Effect 3 edition) and effect4/bench/engine.ts.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import type { Served } from "./shared.js"
import { type Client, load, type Operation } from "./common.js"
import { quantile } from "./stats.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const [perRound = "5000", rounds = "10"] = process.argv.slice(2)

/** The fake's answers to one request of each operation, recorded over the loopback. */
const record = async () => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "server.ts")], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"]
  })
  const line = await new Promise<string>((resolve) =>
    readline.createInterface({ input: child.stdout }).once("line", resolve)
  )
  const served = JSON.parse(line) as Served
  const keep = async (response: Response) => ({
    status: response.status,
    headers: [...response.headers].filter(([name]) => name !== "connection" && name !== "keep-alive"),
    body: await response.text()
  })
  const user = await keep(
    await fetch(`${served.plexTvUrl}/api/v2/user`, {
      headers: { accept: "application/json", "x-plex-token": served.token, "x-plex-client-identifier": "x" }
    })
  )
  const signIn = await keep(
    await fetch(`${served.plexTvUrl}/api/v2/users/signin`, {
      method: "POST",
      headers: { accept: "application/json", "x-plex-client-identifier": "x", "x-plex-product": "x" },
      body: new URLSearchParams({ login: served.login, password: served.password })
    })
  )
  child.stdin.end()
  return { served, user, signIn }
}

export type Recorded = Awaited<ReturnType<typeof record>>

/** Runs the comparison with the clients `make` builds once `fetch` answers from the recording. */
export const compare = async (make: (served: Served) => ReadonlyArray<Client>) => {
  const recorded = await record()
  globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    const answer =
      (init?.method ?? "GET") === "POST" || url.includes("signin") ? recorded.signIn : recorded.user
    return new Response(answer.body, { status: answer.status, headers: answer.headers })
  }
  const clients = make(recorded.served)
  for (const operation of ["getTokenDetails", "signIn"] as Array<Operation>) {
    for (const client of clients) await load(client.request[operation], 2000, 1)
    const cpu = new Map(clients.map((c) => [c, [] as Array<number>]))
    for (let round = 0; round < Number(rounds); round++) {
      for (const client of round % 2 === 0 ? clients : [...clients].reverse()) {
        const before = process.cpuUsage()
        await load(client.request[operation], Number(perRound), 1)
        const used = process.cpuUsage(before)
        cpu.get(client)!.push((used.user + used.system) / Number(perRound))
      }
    }
    const [bare, ...others] = clients
    const median = (xs: Array<number>) => quantile(Float64Array.from(xs).sort(), 0.5).toFixed(1)
    const ratios = others.map((ours) => {
      const each = Float64Array.from(cpu.get(ours)!.map((mine, i) => mine / cpu.get(bare!)![i]!)).sort()
      return `${ours.name}/bare ${quantile(each, 0.5).toFixed(2)} (${quantile(each, 0.25).toFixed(2)}–${quantile(each, 0.75).toFixed(2)})`
    })
    process.stdout.write(
      `${operation}: ${clients.map((c) => `${c.name} ${median(cpu.get(c)!)} µs`).join(", ")}; ${ratios.join(", ")}\n`
    )
  }
  for (const client of clients) await client.dispose()
}
