/**
 * The loopback fake Plex the soak runs against (bench/soak.ts, effect4/bench/soak.ts), in a child process of
 * its own: the fake keeps what it is sent (its request log, the tokens, PINs and Plex JWTs it issues), so in the
 * soak's own process it would grow with every operation and hide, or pass for, a leak of the library. Here its
 * memory is not the soak's.
 *
 * Started with `fork` (an IPC channel): it sends `{ ready: Served }` once it listens, then answers the parent's
 * commands (`{ id, command, args }` → `{ id, result }` or `{ id, error }`) until the channel closes. PINs are
 * approved as soon as they are checked (`autoApprovePins`), as a user signing in at once would.
 */
import { handlerFaults } from "../../src/fake/index.js"
import { serve } from "../../src/fake/node.js"

export interface Served {
  readonly plexTvUrl: string
  readonly clientsUrl: string
  readonly serverUrl: string
  readonly serverId: string
  readonly token: string
  readonly login: string
  readonly password: string
}

export type Command =
  | { readonly command: "clearRequests" }
  | { readonly command: "mintToken" }
  | { readonly command: "revokeToken"; readonly token: string }
  | { readonly command: "fault"; readonly kind: FaultKind; readonly times: number; readonly route: string }
  | { readonly command: "clearFaults" }

export type FaultKind = "503" | "429" | "reset" | "401" | "slow"

const server = await serve({ autoApprovePins: true })
const fake = server.fake

const faultOf = (kind: FaultKind) => {
  switch (kind) {
    case "503":
      return handlerFaults.status(503)
    case "429":
      return handlerFaults.rateLimited(0)
    case "reset":
      return handlerFaults.reset
    case "401":
      return handlerFaults.status(401)
    case "slow":
      return handlerFaults.delay(1000)
  }
}

const run = (message: Command): unknown => {
  switch (message.command) {
    case "clearRequests":
      return fake.clearRequests()
    case "mintToken":
      return fake.mintToken()
    case "revokeToken":
      return fake.revokeToken(message.token)
    case "fault":
      return fake.fault({ route: message.route as never }, faultOf(message.kind), { times: message.times })
    case "clearFaults":
      return fake.clearFaults()
  }
}

process.on("message", (message: Command & { readonly id: number }) => {
  try {
    process.send?.({ id: message.id, result: run(message) ?? null })
  } catch (error) {
    process.send?.({ id: message.id, error: String(error) })
  }
})
process.on("disconnect", () => {
  void server.close().then(() => process.exit(0))
})
// The request log would grow with every request of the run.
setInterval(() => fake.clearRequests(), 1000).unref()

const served: Served = {
  plexTvUrl: server.plexTvUrl,
  clientsUrl: server.clientsUrl,
  serverUrl: server.serverUrl,
  serverId: fake.serverId,
  token: fake.token,
  login: fake.login,
  password: fake.password
}
process.send?.({ ready: served })
