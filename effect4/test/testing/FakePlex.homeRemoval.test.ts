/**
 * The Effect 4 kit sees the shared fake's Home removal as the Effect 3 tests do (test/fake/removeHomeUser.test.ts):
 * python-plexapi's and @ctrl/plex's `removeHomeUser` (`DELETE /api/home/users/{id}`, sent through the kit's
 * `handle`) takes the user out of the Home the library lists, and deletes a managed user, as plex.tv does: its token
 * is refused from then on, and `FakePlex.accounts` lists it no more. A full account removed keeps its account and
 * own tokens; the tokens Home switches handed out between it and the Home end. A user both in the owner's Home and
 * a friend leaves the friend share (`DELETE /api/servers/{id}`), not the Home's.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Home from "effect4-plex-auth/Home"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { FakePlex } from "effect4-plex-auth/testing"
import { raw } from "./support.js"

const seeded = FakePlex.layerSignedIn({
  accounts: [{ username: "alice" }, { username: "kids", title: "Kids", managed: true }, { username: "bob" }],
  homes: [{ members: ["kids", "bob"] }]
})

describe("FakePlex (Effect 4): removeHomeUser", () => {
  it.effect("a managed user removed leaves Home.users and is deleted: its token is refused", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const kids = yield* fake.account("kids")
      const titles = Effect.map(Home.users(), (users) => users.map((u) => u.title))
      assert.deepStrictEqual(yield* titles, ["alice", "Kids", "bob"])
      assert.strictEqual(
        (yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(kids.token))).id,
        kids.id
      )

      const removed = yield* fake.handle(
        raw(`${fake.plexTvUrl}/api/home/users/${kids.id}`, {
          method: "DELETE",
          token: fake.token,
          accept: null
        })
      )
      assert.strictEqual(removed.status, 204)
      assert.deepStrictEqual(yield* titles, ["alice", "bob"])
      assert.isFalse(yield* fake.isTokenValid(kids.token))
      const refused = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Credentials.withToken(kids.token)))
      assert.strictEqual(refused._tag, "Unauthorized")
      // The kit's controls find the deleted account no more, and say so.
      for (const control of [Effect.asVoid(fake.account("kids")), Effect.asVoid(fake.mintToken("kids"))]) {
        const gone = yield* Effect.flip(control)
        assert.strictEqual(gone._tag, "FakePlexError")
        assert.match(gone.message, /the account kids was deleted/)
      }
      // bob, a full account, leaves the Home but keeps his account.
      const bob = yield* fake.account("bob")
      yield* fake.handle(
        raw(`${fake.plexTvUrl}/api/home/users/${bob.id}`, {
          method: "DELETE",
          token: fake.token,
          accept: null
        })
      )
      assert.deepStrictEqual(yield* titles, ["alice"])
      assert.isTrue(yield* fake.isTokenValid(bob.token))
    }).pipe(Effect.provide(seeded))
  )

  it.effect(
    "accounts lists a deleted managed user no more; a full account removed stays, and keeps its own tokens",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const usernames = () => fake.accounts.map((a) => a.username)
        const [kids, bob] = [yield* fake.account("kids"), yield* fake.account("bob")]
        const remove = (id: number) =>
          fake.handle(
            raw(`${fake.plexTvUrl}/api/home/users/${id}`, {
              method: "DELETE",
              token: fake.token,
              accept: null
            })
          )
        // Tokens a Home switch hands out: alice (the kit's token) to bob, bob to alice.
        const asBob = yield* Home.switchUser("bob")
        const asAlice = yield* Home.switchUser("alice").pipe(Credentials.withToken(bob.token))
        assert.isTrue(yield* fake.isTokenValid(asBob.token))
        assert.isTrue(yield* fake.isTokenValid(asAlice.token))
        assert.deepStrictEqual(usernames(), ["alice", "kids", "bob"])

        assert.strictEqual((yield* remove(kids.id)).status, 204)
        assert.deepStrictEqual(usernames(), ["alice", "bob"])
        assert.strictEqual((yield* remove(bob.id)).status, 204)
        // bob is an account of his own: listed, his own token valid; what the Home gave between him and alice ends.
        assert.deepStrictEqual(usernames(), ["alice", "bob"])
        assert.isTrue(yield* fake.isTokenValid(bob.token))
        assert.isTrue(yield* fake.isTokenValid(fake.token))
        assert.isFalse(yield* fake.isTokenValid(asBob.token))
        assert.isFalse(yield* fake.isTokenValid(asAlice.token))
        const refused = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(Credentials.withToken(asBob.token))
        )
        assert.strictEqual(refused._tag, "Unauthorized")
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            accounts: [
              { username: "alice" },
              { username: "kids", title: "Kids", managed: true },
              { username: "bob" }
            ],
            homes: [{ members: ["kids", "bob"] }]
          })
        )
      )
  )
})

describe("FakePlex: DELETE /api/servers/{id} by a user both in the owner's Home and a friend", () => {
  it.effect(
    "the account token leaves the friend share (204), the Home share stays; the Home share's token is 403",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const bob = yield* fake.account("bob")
        const leave = (token: string) =>
          fake.handle(
            raw(`${fake.plexTvUrl}/api/servers/${fake.serverId}`, { method: "DELETE", token, accept: null })
          )
        const onServer = (token: string) =>
          Effect.map(fake.handle(raw(`${fake.serverUrl}/`, { token, clientId: null })), (r) => r.status)
        const den = Effect.gen(function* () {
          const response = yield* fake.handle(raw(`${fake.plexTvUrl}/api/v2/resources`, { token: bob.token }))
          const devices = (yield* Effect.promise(() => response.json())) as Array<Record<string, unknown>>
          return devices.find((d) => d["clientIdentifier"] === fake.serverId)
        })
        const friend = yield* den
        const friendToken = String(friend?.["accessToken"])
        assert.strictEqual(friend?.["home"], false)
        assert.strictEqual(yield* onServer(friendToken), 200)
        // The account's own token leaves the share that is its own: the friend's.
        assert.strictEqual((yield* leave(Redacted.value(bob.token))).status, 204)
        assert.strictEqual(yield* onServer(friendToken), 401)
        // The Home share stays, with a token of its own (minted, as every share's: none is known before it is listed).
        const stays = yield* den
        const homeToken = String(stays?.["accessToken"])
        assert.strictEqual(stays?.["home"], true)
        assert.notStrictEqual(homeToken, friendToken)
        assert.strictEqual(yield* onServer(homeToken), 200)
        // The Home share's token names that share, and the account's token finds only it now: each refused, 403.
        assert.strictEqual((yield* leave(homeToken)).status, 403)
        assert.strictEqual((yield* leave(Redacted.value(bob.token))).status, 403)
        assert.strictEqual(yield* onServer(homeToken), 200)
      }).pipe(
        Effect.provide(
          FakePlex.layerSignedIn({
            accounts: [{ username: "alice" }, { username: "bob" }],
            homes: [{ members: ["bob"] }],
            servers: [{ name: "Den", sharedWith: ["bob"] }]
          })
        )
      )
  )
})
