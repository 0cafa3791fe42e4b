/**
 * The answer headers a `...WithResponse` operation hands back carry no secret: a 2xx answer whose
 * `Location` points at a URL with the token in its query (or an `X-Plex-Token` header echoing it) has it
 * masked, as a redirect's `Location` is in spans and in ServerClient's responses. The Effect 4 edition's
 * effect4/test/PlexAuth/withResponse.headers.test.ts is the same test.
 */
import { inspect } from "node:util"
import { assert, describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { PlexAuth } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "../support/it.js"

/** A token the answer hands out that the request did not carry (a sign-in's new one). */
const OTHER = "otherTokenQ7w2Zx91"

/** The fake's own answer, with `headers` added. */
const withHeaders = (headers: (token: string) => Record<string, string>) =>
  Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const token = Redacted.value(fake.token)
    return Fault.respond((request) =>
      Effect.flatMap(fake.handle(request), (answer) =>
        Effect.promise(async () => {
          const added = new Headers(answer.headers)
          for (const [name, value] of Object.entries(headers(token))) added.set(name, value)
          return new Response(await answer.text(), { status: answer.status, headers: added })
        })
      ).pipe(Effect.orDie)
    )
  })

describe("PlexAuth's ...WithResponse headers", () => {
  it.effect(
    "a 2xx answer's Location and X-Plex-Token carry no token: the request's, or one in X-Plex-Token",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const token = Redacted.value(fake.token)
        const fault = yield* withHeaders((token) => ({
          location: `https://app.example/next?auth=${token}&X-Plex-Token=${OTHER}#x`,
          "x-plex-token": token
        }))
        yield* FakePlex.fault("getTokenDetails", fault, { times: 1 })
        const answer = yield* PlexAuth.getTokenDetailsWithResponse()
        assert.strictEqual(answer.status, 200)
        assert.strictEqual(
          answer.headers["location"],
          "https://app.example/next?auth=<redacted>&X-Plex-Token=<redacted>#x"
        )
        assert.strictEqual(answer.headers["x-plex-token"], "<redacted>")
        assert.strictEqual(answer.value.username, "alice")
        for (const text of [
          JSON.stringify(answer.headers),
          inspect(answer, { depth: 5 }),
          inspect(answer.headers)
        ]) {
          assert.notInclude(text, token)
          assert.notInclude(text, OTHER)
        }
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect("a Location without a secret is handed back as it is", () =>
    Effect.gen(function* () {
      const fault = yield* withHeaders(() => ({ location: "https://app.example/next?page=2" }))
      yield* FakePlex.fault("getTokenDetails", fault, { times: 1 })
      const answer = yield* PlexAuth.getTokenDetailsWithResponse()
      assert.strictEqual(answer.headers["location"], "https://app.example/next?page=2")
    }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )
})
