/**
 * Records the loopback fake's answers to one `getTokenDetails` and one
 * sign-in into answers.json, for drive.ts:
 *   node --import tsx bench/scratch/record.ts
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import type { Served } from "../shared.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
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
fs.writeFileSync(
  new URL("answers.json", import.meta.url),
  `${JSON.stringify({ served, user, signIn }, null, 2)}\n`
)
