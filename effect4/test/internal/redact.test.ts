/**
 * Masking secrets in text that leaves the library (issue 19.7), through an
 * operation of the Effect 4 edition: a one-letter password does not turn
 * `plex.tv` into `ple<redacted>.tv`. The masking itself (`scrub`, shared by
 * both editions in src/core/redact.ts) is tested, with its properties, in
 * the Effect 3 edition's test/internal/redact.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { failsWith } from "../support/assertions.js"
import { env } from "../support/env.js"
import * as MockHttp from "../support/MockHttp.js"

describe("through an operation", () => {
  it.effect("a DNS error with password x reads plex.tv, not ple<redacted>.tv", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(
        PlexAuth.postUsersSignInData({ login: "me", password: "x" }).pipe(PlexTv.withUrl("https://plex.tv")),
        "NetworkError"
      )
      assert.include(error.message, "ENOTFOUND plex.tv")
      assert.notInclude(error.message, "<redacted>")
    }).pipe(
      Effect.provide(env(() => MockHttp.transportFailure("getaddrinfo ENOTFOUND plex.tv", "ENOTFOUND")))
    )
  )
})
