// The in-process checks of scripts/runtimes.mjs, for either edition (edition.mjs re-exports it) on Bun
// or Deno. Usage: <runtime> checks.mjs <check>... where a check is
//   identity     ClientIdentity's runtime defaults: no throw (Deno without --allow-sys/--allow-env
//                included), the runtime named in X-Plex-Model
//   pin          a PIN login the fake approves, over the runtime's own server (Bun.serve, Deno.serve),
//                with the runtime's default identity, then the account
//   fake-node    the same against `<package>/fake/node`'s serve() (node:http)
//   store:<dir>  `<package>/node`'s file store in <dir>: ClientIdentity.layerPersisted twice keeps one
//                identifier, in a file of mode 0600
//   store-denied:<dir>  the same where Deno refuses os.hostname() (run without --allow-sys): the store
//                loads and reads, and a change fails with the platform's SystemError PermissionDenied
//                naming the flag, not a defect
// Prints `ok <check> ...` or `FAIL <check>: ...` for each; exits 1 if any failed.
import { makeHandler } from "./edition-fake.mjs"
import {
  ClientIdentity,
  Credentials,
  Effect,
  FetchHttpClient,
  Layer,
  PinLogin,
  PlexAuth,
  PlexTv,
  edition,
  loadFakeNode,
  loadNode
} from "./edition.mjs"
import { runtime, serveFake } from "./serve.mjs"

const name = runtime()
const expectedModel = name === "bun" ? "Bun " : name === "deno" ? "Deno " : "Node.js "
const clientIdentifier = "runtimes-check-client"

const check = (condition, message) => {
  if (!condition) throw new Error(message)
}

/** A PIN login against plex.tv at `plexTvUrl`, approved by `fake` itself when the PIN is shown; the username. */
const pinLogin = (plexTvUrl, fake) =>
  Effect.gen(function* () {
    const token = yield* PinLogin.login({
      onPin: ({ pin }) => Effect.promise(() => fake.approvePin(pin.code))
    })
    const account = yield* PlexAuth.account().pipe(Credentials.withToken(token))
    return account.username
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        FetchHttpClient.layer,
        ClientIdentity.layer({ clientIdentifier, product: "runtimes check" }),
        PlexTv.layer(plexTvUrl)
      )
    ),
    Effect.runPromise
  )

/** What the fake's last request carried as X-Plex-Model. */
const lastModel = (fake) => {
  const requests = fake.requests()
  return requests[requests.length - 1]?.headers["x-plex-model"]
}

const checks = {
  identity: async () => {
    const defaults = ClientIdentity.runtimeDefaults()
    check(defaults.model?.startsWith(expectedModel), `model ${defaults.model}, expected ${expectedModel}...`)
    const identity = await Effect.runPromise(
      Effect.gen(function* () {
        return yield* ClientIdentity.ClientIdentity
      }).pipe(Effect.provide(ClientIdentity.layer({ clientIdentifier, product: "runtimes check" })))
    )
    check(
      identity.headers["X-Plex-Model"] === defaults.model,
      "the identity's headers do not carry the model"
    )
    return JSON.stringify(defaults)
  },
  pin: async () => {
    const served = await serveFake(makeHandler)
    try {
      const username = await pinLogin(served.url, served.fake)
      check(username === "alice", `signed in as ${username}`)
      const model = lastModel(served.fake)
      check(String(model).startsWith(expectedModel), `X-Plex-Model ${model}`)
      return `signed in as ${username} over ${name}'s own server, X-Plex-Model ${model}`
    } finally {
      await served.close()
    }
  },
  "fake-node": async () => {
    const { serve } = await loadFakeNode()
    const server = await serve()
    try {
      const username = await pinLogin(server.plexTvUrl, server.fake)
      check(username === "alice", `signed in as ${username}`)
      return `signed in as ${username} over fake/node's serve()`
    } finally {
      await server.close()
    }
  },
  store: async (directory) => {
    check(directory !== undefined && directory !== "", "store needs a directory: store:<dir>")
    const { KeyValueStore } = await loadNode()
    const identifier = () =>
      Effect.runPromise(
        Effect.gen(function* () {
          return (yield* ClientIdentity.ClientIdentity).clientIdentifier
        }).pipe(
          Effect.provide(
            ClientIdentity.layerPersisted({ product: "runtimes check" }).pipe(
              Layer.provide(KeyValueStore.layerFile({ directory }))
            )
          )
        )
      )
    const first = await identifier()
    const second = await identifier()
    check(first === second, `a second run read ${second}, the first stored ${first}`)
    const { stat } = await import("node:fs/promises")
    const mode = (await stat(`${directory}/store.json`)).mode & 0o777
    check(mode === 0o600, `store.json has mode ${mode.toString(8)}`)
    return `one client identifier across two layers, store.json mode 600`
  },
  "store-denied": async (directory) => {
    check(directory !== undefined && directory !== "", "store-denied needs a directory: store-denied:<dir>")
    const { KeyValueStore } = await loadNode()
    const exit = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* KeyValueStore.make({ directory })
        yield* store.get("a")
        return yield* store.set("a", "one")
      }).pipe(Effect.exit)
    )
    check(exit._tag === "Failure", "the change succeeded")
    const text = String(exit.cause)
    check(/PermissionDenied/.test(text) && /--allow-sys/.test(text), `not PermissionDenied: ${text}`)
    check(!/\bdie\b|Die/.test(JSON.stringify(exit.cause)), `a defect: ${text}`)
    return "reads; a change fails with SystemError PermissionDenied (--allow-sys)"
  }
}

let failed = false
for (const argument of process.argv.slice(2)) {
  const [key, ...rest] = argument.split(":")
  const run = checks[key]
  try {
    if (run === undefined) throw new Error("no such check")
    console.log(`ok ${key} (effect ${edition}, ${name}): ${await run(rest.join(":"))}`)
  } catch (error) {
    failed = true
    const text = error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error)
    console.log(`FAIL ${key} (effect ${edition}, ${name}): ${text}`)
  }
}
process.exit(failed ? 1 : 0)
