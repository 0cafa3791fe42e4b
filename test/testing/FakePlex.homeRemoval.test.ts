/**
 * A managed Home user removed from its Home (python-plexapi's and @ctrl/plex's `removeHomeUser`,
 * `DELETE /api/home/users/{id}`, sent through the kit's `handle`) is deleted, as plex.tv deletes it: nothing of it
 * signs in again, not even a device key it registered (JWT device authentication, `Jwt.exchange`).
 */
import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Credentials, Jwt } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "../support/it.js"
import { signedIn } from "../Jwt/support.js"
import { CLIENT_ID, send } from "./support.js"

const home = signedIn({
  accounts: [{ username: "alice" }, { username: "kids", title: "Kids", managed: true }],
  homes: [{ members: ["kids"] }]
})

describe("FakePlex: a managed user removed from its Home", () => {
  it.effect("is deleted: a device key it registered mints no token any more", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const kids = yield* fake.account("kids")
      const key = yield* Jwt.generateKey
      assert.strictEqual(yield* Credentials.withToken(Jwt.registerKey(key), kids.token), "Registered")
      const before = yield* Jwt.exchange(key)
      assert.isTrue(yield* fake.isTokenValid(before.token))

      const removed = yield* send(
        new Request(`${fake.plexTvUrl}/api/home/users/${kids.id}`, {
          method: "DELETE",
          headers: { "X-Plex-Client-Identifier": CLIENT_ID, "X-Plex-Token": Redacted.value(fake.token) }
        })
      )
      assert.strictEqual(removed.status, 204)
      assert.isFalse(yield* fake.isTokenValid(before.token))
      const refused = yield* Effect.flip(Jwt.exchange(key))
      assert.strictEqual(refused._tag, "Unauthorized")
      assert.deepStrictEqual(
        (yield* fake.deviceKeys).filter((k) => k.accountId === kids.id),
        []
      )
    }).pipe(Effect.provide(home))
  )
})
