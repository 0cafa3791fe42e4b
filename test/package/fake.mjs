// Runs against an installed tarball (either edition: `node fake.mjs <package name>`): the Effect-free
// fake, as a plexjs or python-plexapi user would run it. Resolving `effect` (or `@effect/*`) from any
// module fails this program, so the two entries provably load no Effect.
import { register } from "node:module"

const hook = `export async function resolve(specifier, context, next) {
  if (/^(effect|@effect\\/[^/]+)(\\/|$)/.test(specifier)) throw new Error("loaded " + specifier)
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url)

const name = process.argv[2] ?? "effect-plex-auth"
const { makeHandler, handlerFaults } = await import(`${name}/fake`)
const { serve } = await import(`${name}/fake/node`)

const headers = (token) => ({
  "X-Plex-Token": token,
  "X-Plex-Client-Identifier": "fake-smoke",
  Accept: "application/json"
})

// In memory: the web handler, with a scripted fault.
const fake = makeHandler()
fake.fault("getTokenDetails", handlerFaults.status(429, { retryAfterMillis: 2000 }), { times: 1 })
const limited = await fake.handler(
  new Request("https://plex.tv/api/v2/user", { headers: headers(fake.token) })
)
// Over loopback: the same fake on real ports.
const server = await serve()
let username
try {
  const response = await fetch(`${server.plexTvUrl}/api/v2/user`, { headers: headers(server.fake.token) })
  username = (await response.json()).username
} finally {
  await server.close()
}
console.log(`${limited.status} ${limited.headers.get("retry-after")}; over HTTP ${username}`)
