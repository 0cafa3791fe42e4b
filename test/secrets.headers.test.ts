/**
 * A token a server echoes in an answer header other than `X-Plex-Token` and `Location` (a `Content-Location`, a
 * `Refresh`, a `Link`, a header of its own): masked in every header handed to a caller (core redact.ts's
 * `scrubAnswerHeader`), so that it shows nowhere a caller prints what it got: a `...WithResponse` variant's headers,
 * ServerClient's responses and the response its error carries. The value of an `X-Plex-Token` query parameter in
 * any header is masked too (a token the request did not carry). Mirrored in effect4/test/secrets.headers.test.ts.
 */
import type { HttpClientError } from "@effect/platform"
import { inspect } from "node:util"
import { assert, describe } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Layer } from "effect"
import { ClientIdentity, PlexAuth, ServerClient } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { env, TOKEN } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { accountBody } from "./support/operations.js"
import { assertNoSecrets, renderings } from "./support/observe.js"

/** A token the request did not carry, handed out in a header's URL. */
const OTHER = "otherTokenNotSent42"

/** Headers that echo `token` (as a server may), and one that does not. */
const echoing = (token: string): Record<string, string> => ({
  "content-location": `/library/sections?X-Plex-Token=${token}`,
  refresh: `0; url=/web?auth=${encodeURIComponent(token)}`,
  link: `</library/sections?X-Plex-Token=${OTHER}>; rel="next", </hubs?token=${token}>; rel="prev"`,
  "x-echo": token,
  "x-plex-protocol": "1.0"
})

/** The headers `echoing` gave, as a caller is handed them. */
const assertScrubbed = (headers: Readonly<Record<string, string | undefined>>) => {
  assert.strictEqual(headers["content-location"], "/library/sections?X-Plex-Token=<redacted>")
  assert.strictEqual(headers["refresh"], "0; url=/web?auth=<redacted>")
  assert.strictEqual(
    headers["link"],
    '</library/sections?X-Plex-Token=<redacted>>; rel="next", </hubs?token=<redacted>>; rel="prev"'
  )
  assert.strictEqual(headers["x-echo"], "<redacted>")
  // A header without a secret is kept as it came.
  assert.strictEqual(headers["x-plex-protocol"], "1.0")
  assertNoSecrets([JSON.stringify(headers), inspect(headers)], [TOKEN, OTHER])
}

/** A value however a caller prints it. */
const printed = (value: unknown) => ({
  String: String(value),
  "JSON.stringify": JSON.stringify(value),
  "util.inspect": inspect(value, { depth: 10 }),
  "Inspectable.format": Inspectable.format(value)
})

describe("a token echoed in an answer header", () => {
  it.effect("getTokenDetailsWithResponse: the headers it hands back have it masked", () =>
    Effect.gen(function* () {
      const result = yield* PlexAuth.getTokenDetailsWithResponse()
      assert.strictEqual(result.value.username, "tester")
      assertScrubbed(result.headers)
      assertNoSecrets(printed(result), [TOKEN, OTHER])
    }).pipe(
      Effect.provide(
        env(() => MockHttp.text(200, JSON.stringify(accountBody), "application/json", echoing(TOKEN)))
      )
    )
  )

  const identity = ClientIdentity.layer({ clientIdentifier: "headers-test", product: "Headers Test" })
  /** Answers `status` with `extra` headers and those that echo the token the request carried. */
  const echo = (status: number, extra: Record<string, string> = {}) =>
    Fault.respond((request) =>
      Effect.sync(
        () =>
          new Response(status === 200 ? "{}" : "", {
            status,
            headers: {
              "content-type": "application/json",
              ...echoing(request.headers.get("x-plex-token") ?? ""),
              ...extra
            }
          })
      )
    )

  it.effect("ServerClient: a response has it masked in its headers, however printed", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const client = yield* ServerClient.make({ uri: fake.serverUrl, token: fake.token })
      yield* fake.fault({ path: "/library/sections" }, echo(200))
      const response = yield* client.get("/library/sections")
      assert.strictEqual(response.status, 200)
      assertScrubbed(response.headers)
      assertNoSecrets(printed(response), [TOKEN, OTHER])
    }).pipe(Effect.provide(Layer.merge(FakePlex.layer({ accounts: [{ token: TOKEN }] }), identity)))
  )

  it.effect(
    "ServerClient: a refused redirect's error has it masked in its response's headers, however printed",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const client = yield* ServerClient.make({ uri: fake.serverUrl, token: fake.token })
        yield* fake.fault({ path: "/library/sections" }, echo(302, { location: "plex://app/x" }))
        const exit = yield* Effect.exit(client.get("/library/sections"))
        if (!Exit.isFailure(exit)) return assert.fail("the redirect was followed")
        const error = Cause.squash(exit.cause) as HttpClientError.ResponseError
        assert.strictEqual(error._tag, "ResponseError")
        assert.strictEqual(error.response.status, 302)
        assertScrubbed(error.response.headers)
        assertNoSecrets(
          { ...renderings(error), ...printed(error.response), "Cause.pretty": Cause.pretty(exit.cause) },
          [TOKEN, OTHER]
        )
      }).pipe(Effect.provide(Layer.merge(FakePlex.layer({ accounts: [{ token: TOKEN }] }), identity)))
  )
})
