/**
 * The fake's sharing routes (fake36: python-plexapi's and @ctrl/plex's inviteFriend, acceptInvite, removeFriend,
 * and @ctrl/plex's MyPlexResource.delete), sent through the kit's `handle`, as the library then sees them:
 * `ServerAccess.check` with the user's token (`GET /api/v2/resources`) and `ServerAccess.users` with the owner's
 * (`GET /api/users/`) agree with every change.
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Credentials, ServerAccess } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { CLIENT_ID, send } from "./support.js"
import { it } from "../support/it.js"

const seeded = FakePlex.layerSignedIn({
  accounts: [{ username: "alice" }, { username: "carol" }, { username: "dave" }],
  servers: [{ name: "Den", sharedWith: ["carol"] }]
})

const as =
  (login: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(FakePlex.FakePlex, (fake) =>
      Effect.flatMap(Effect.orDie(fake.account(login)), (account) =>
        effect.pipe(Credentials.withToken(account.token))
      )
    )

const status = (login: string, method: string, path: string, body?: unknown) =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const account = yield* Effect.orDie(fake.account(login))
    const response = yield* send(
      new Request(`${fake.plexTvUrl}${path}`, {
        method,
        headers: {
          "X-Plex-Client-Identifier": CLIENT_ID,
          "X-Plex-Token": Redacted.value(account.token),
          ...(body === undefined ? {} : { "Content-Type": "application/json" })
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
    )
    return response.status
  })

describe("FakePlex sharing routes, as ServerAccess sees them", () => {
  it.effect(
    "an accepted invite is access; removeFriend ends it; the owner's DELETE /api/servers ends all",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const den = fake.serverId
        const checkAs = (login: string) => Effect.map(as(login)(ServerAccess.check(den)), (a) => a._tag)
        const titles = Effect.map(as("alice")(ServerAccess.users(den)), (users) =>
          users.map((u) => `${u.user.title} ${u._tag}`)
        )
        assert.strictEqual(yield* checkAs("dave"), "NoAccess")
        assert.deepStrictEqual(yield* titles, ["carol Shared"])

        const invite = { server_id: den, shared_server: { library_section_ids: [], invited_email: "dave" } }
        assert.strictEqual(yield* status("alice", "POST", `/api/servers/${den}/shared_servers`, invite), 204)
        // A pending invite is not access.
        assert.strictEqual(yield* checkAs("dave"), "NoAccess")
        assert.deepStrictEqual(yield* titles, ["carol Shared"])
        const alice = yield* Effect.orDie(fake.account("alice"))
        assert.strictEqual(
          yield* status("dave", "PUT", `/api/invites/requests/${alice.id}?friend=1&server=1&home=0`),
          204
        )
        assert.strictEqual(yield* checkAs("dave"), "Shared")
        assert.deepStrictEqual(yield* titles, ["carol Shared", "dave Shared"])

        const dave = yield* Effect.orDie(fake.account("dave"))
        assert.strictEqual(yield* status("alice", "DELETE", `/api/v2/sharings/${dave.id}`), 204)
        assert.strictEqual(yield* checkAs("dave"), "NoAccess")
        assert.deepStrictEqual(yield* titles, ["carol Shared"])
        assert.strictEqual(yield* checkAs("carol"), "Shared")

        assert.strictEqual(yield* status("alice", "DELETE", `/api/servers/${den}`), 204)
        assert.strictEqual(yield* checkAs("alice"), "NoAccess")
        assert.strictEqual(yield* checkAs("carol"), "NoAccess")
        assert.isUndefined((yield* Effect.orDie(fake.server(den))).ownerId)
      }).pipe(Effect.provide(seeded))
  )
})
