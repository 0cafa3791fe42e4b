/**
 * A redirect whose `Location` carries the token (a server, or something in
 * front of it, answering `Location: https://other.example/x?X-Plex-Token=…`):
 * the library never sends the token on, and the token shows nowhere either:
 * not in the error however it is printed, not in the Cause, not in a log
 * line, not in a span (the platform records response headers as span
 * attributes, `http.response.header.location`). Through the engine (a
 * plex.tv and two server operations) and through `ServerClient`. Mirrored in
 * effect4/test/secrets.location.test.ts.
 */
import type { HttpClientError, HttpClientResponse } from "@effect/platform"
import { inspect } from "node:util"
import { assert, describe } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Layer } from "effect"
import { ClientIdentity, ServerClient } from "effect-plex-auth"
import { FakePlex, Fault } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { failureOf, inMemory, operations, recordedTexts, targetOf } from "./faults/support.js"
import { assertNoSecrets, renderings, withCapturedLogs, withRecordedSpans } from "./support/observe.js"

/** A token as Plex's are (letters and digits), distinctive enough to search for. */
const TOKEN = "tokLoCaTiOn9f3b2a7c"

interface Case {
  readonly name: string
  /** The `Location` the server answers, carrying `token`. */
  readonly location: (fake: FakePlex.FakePlexService, token: string) => string
  /** Whether every request meets the redirect (a loop), not only the first. */
  readonly loop?: boolean
}

const cases: ReadonlyArray<Case> = [
  {
    name: "to another origin, the token in its X-Plex-Token query",
    location: (fake, token) => `${fake.elsewhereUrl}/x?X-Plex-Token=${token}`
  },
  {
    name: "to another origin, the token under another name",
    location: (fake, token) => `${fake.elsewhereUrl}/x?auth=${token}&X-Plex-Token=${token}`
  },
  {
    name: "to a URL that is not http(s) (refused), the token in its query",
    location: (_fake, token) => `plex://app/x?X-Plex-Token=${token}`
  },
  {
    name: "on the same origin, the token in its fragment, in a loop (refused past five hops)",
    location: (_fake, token) => `#X-Plex-Token=${token}`,
    loop: true
  },
  {
    name: "to another origin, the token in its fragment",
    location: (fake, token) => `${fake.elsewhereUrl}/x#auth=${token}`
  },
  {
    name: "on the same origin, the token in its X-Plex-Token query, in a loop (refused past five hops)",
    location: (_fake, token) => `?X-Plex-Token=${token}`,
    loop: true
  },
  {
    name: "on the same origin, the token under another name, in a loop (refused past five hops)",
    location: (_fake, token) => `?auth=${token}`,
    loop: true
  }
]

/** What a run left behind, as text: the error or value however printed, the Cause, the logs, the spans. */
const observed = <A, E>(
  exit: Exit.Exit<A, E>,
  lines: ReadonlyArray<string>,
  spans: ReadonlyArray<SpanLike>
) => ({
  ...(Exit.isFailure(exit)
    ? { ...renderings(Cause.squash(exit.cause)), "Cause.pretty": Cause.pretty(exit.cause) }
    : {
        String: String(exit.value),
        "JSON.stringify": JSON.stringify(exit.value),
        "util.inspect": inspect(exit.value, { depth: 10 }),
        "Inspectable.format": Inspectable.format(exit.value)
      }),
  logs: lines.join("\n"),
  spans: spans.map((span) => span.render()).join("\n---\n")
})

interface SpanLike {
  readonly name: string
  readonly attributes: ReadonlyMap<string, unknown>
  render(): string
}

/** The platform's spans recorded the redirect's `Location`, redacted. */
const assertLocationRedacted = (spans: ReadonlyArray<SpanLike>) => {
  const locations = spans.flatMap((span) => {
    const location = span.attributes.get("http.response.header.location")
    return location === undefined ? [] : [location]
  })
  assert.isAbove(locations.length, 0, "the redirect's span was recorded")
  for (const location of locations) assert.strictEqual(location, "<redacted>")
}

describe("a redirect whose Location carries the token: through an operation", () => {
  for (const op of operations.filter((op) => op.sendsToken)) {
    for (const c of cases) {
      it.effect(`${op.name}: ${c.name}`, () =>
        Effect.gen(function* () {
          const fake = yield* FakePlex.FakePlex
          yield* fake.fault(
            op.name,
            Fault.redirect({ status: 302, to: c.location(fake, TOKEN) }),
            c.loop ? {} : { times: 1 }
          )
          const { exit: logged, lines } = yield* withCapturedLogs(
            withRecordedSpans(
              op.run(targetOf(fake)).pipe(
                // A caller that logs what went wrong, as callers do.
                Effect.tapErrorCause((cause) => Effect.logError("the request failed", cause)),
                Effect.tapError((error) => Effect.logWarning(error))
              )
            )
          )
          const { exit, spans } = Exit.isSuccess(logged) ? logged.value : assert.fail("observing failed")
          const error = failureOf(exit, `${op.name}: ${c.name}`)
          assert.include(["Unexpected", "NotFound"], error._tag)
          assert.isAbove(lines.length, 0)
          assertNoSecrets(observed(exit, lines, spans), [TOKEN])
          assertLocationRedacted(spans)
          // Never sent on, in a header or a URL.
          const elsewhere = (yield* fake.requests).filter((r) => r.host === "elsewhere")
          assertNoSecrets(elsewhere.flatMap(recordedTexts), [TOKEN])
        }).pipe(Effect.provide(inMemory({ accounts: [{ token: TOKEN }] })))
      )
    }
  }
})

describe("a redirect whose Location carries the token: through ServerClient", () => {
  const identity = ClientIdentity.layer({ clientIdentifier: "location-test", product: "Location Test" })

  for (const c of cases) {
    it.effect(c.name, () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const client = yield* ServerClient.make({ uri: fake.serverUrl, token: fake.token })
        yield* fake.fault(
          { path: "/" },
          Fault.redirect({ status: 302, to: c.location(fake, TOKEN) }),
          c.loop ? {} : { times: 1 }
        )
        const { exit: logged, lines } = yield* withCapturedLogs(
          withRecordedSpans(
            client.get("/").pipe(
              // A caller that logs what it got, as callers do.
              Effect.tap((response) => Effect.logInfo("got", response)),
              Effect.tapErrorCause((cause) => Effect.logError("the request failed", cause))
            )
          )
        )
        const { exit, spans } = Exit.isSuccess(logged) ? logged.value : assert.fail("observing failed")
        assert.isAbove(lines.length, 0)
        assertNoSecrets(observed(exit, lines, spans), [TOKEN])
        assertLocationRedacted(spans)
        if (Exit.isFailure(exit)) {
          // Refused: the error's response keeps its Location, the token scrubbed out of it.
          const error = Cause.squash(exit.cause) as HttpClientError.HttpClientError
          assert.strictEqual(error._tag, "ResponseError")
          const response = (error as HttpClientError.ResponseError).response
          assert.strictEqual(response.status, 302)
          assert.match(response.headers["location"] ?? "", /(X-Plex-Token|auth)=<redacted>$/)
          // The response however printed, and its headers.
          assertNoSecrets(
            [
              String(response),
              JSON.stringify(response),
              inspect(response, { depth: 10 }),
              JSON.stringify(response.headers)
            ],
            [TOKEN]
          )
        } else {
          // Followed to the other origin, without the token: its answer.
          const response: HttpClientResponse.HttpClientResponse = exit.value
          assert.strictEqual(response.status, 404)
        }
        const elsewhere = (yield* fake.requests).filter((r) => r.host === "elsewhere")
        assertNoSecrets(elsewhere.flatMap(recordedTexts), [TOKEN])
      }).pipe(Effect.provide(Layer.merge(FakePlex.layer({ accounts: [{ token: TOKEN }] }), identity)))
    )
  }
})
