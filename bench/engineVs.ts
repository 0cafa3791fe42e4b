/**
 * The Effect 3 engine's CPU per request at another git revision beside this
 * tree's and the bare `@effect/platform` `HttpClient`, in one interleaved run
 * without the network (see bench/engineCompare.ts): a before/after check.
 *
 *   ENGINE_REV=<revision> node --import tsx bench/engineVs.ts [requests per round = 5000] [rounds = 10]
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { FetchHttpClient } from "@effect/platform"
import * as esbuild from "esbuild"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import type * as Library from "effect-plex-auth"
import { effectPlatform, effectPlexAuth } from "./clients.js"
import { type Client, clientIdentifier, product } from "./common.js"
import { compare } from "./engineCompare.js"
import type { Served } from "./shared.js"

const rev = process.env["ENGINE_REV"] ?? "HEAD"
const root = fileURLToPath(new URL("..", import.meta.url))
const cache = path.join(root, "node_modules", ".cache", "effect-plex-auth-bench")
const sources = path.join(cache, "rev")
fs.rmSync(sources, { recursive: true, force: true })
fs.mkdirSync(sources, { recursive: true })
// The revision's src/, unpacked beside the cache's bundle (so its imports resolve from this node_modules).
execFileSync("sh", ["-c", `git archive ${rev} src | tar -x -C ${JSON.stringify(sources)}`], { cwd: root })
const outfile = path.join(cache, "rev.js")
await esbuild.build({
  entryPoints: [path.join(sources, "src", "index.ts")],
  bundle: true,
  packages: "external",
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outfile,
  logLevel: "warning"
})
const old: typeof Library = await import(pathToFileURL(outfile).href)

/** bench/clients.ts's `effectPlexAuth`, with the revision's library. */
const atRevision = (served: Served): Client => {
  const { ClientIdentity, Credentials, PlexAuth, PlexTv } = old
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      FetchHttpClient.layer,
      ClientIdentity.layer({ clientIdentifier, product }),
      Credentials.layer(Redacted.make(served.token)),
      PlexTv.layer(served.plexTvUrl)
    )
  )
  const getTokenDetails = PlexAuth.getTokenDetails()
  const signIn = PlexAuth.postUsersSignInData({
    login: served.login,
    password: Redacted.make(served.password)
  })
  return {
    name: `effect-plex-auth@${rev}`,
    request: {
      getTokenDetails: () => runtime.runPromise(Effect.asVoid(getTokenDetails)),
      signIn: () => runtime.runPromise(Effect.asVoid(signIn))
    },
    dispose: () => runtime.dispose()
  }
}

await compare((served) => [effectPlatform(served), atRevision(served), effectPlexAuth(served)])
