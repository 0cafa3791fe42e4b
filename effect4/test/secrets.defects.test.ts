/**
 * A defect that quotes a secret of the request: a caller's `HttpClient` dying with an error whose message (and
 * stack) carries the token, or the password of a sign-in. The engine masks it as it masks errors (core
 * fetchGuard.ts's `scrubbedError`, `redact.ts`'s `scrub`) before it reaches the operation's span or the caller: the
 * defect is still a defect (a `Die`, an `Error` with its name), its text without the secret. Mirrors
 * test/secrets.defects.test.ts.
 */
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import type * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as ServerClient from "effect4-plex-auth/ServerClient"
import { CredentialsLive, IdentityLive, PASSWORD, TOKEN } from "./support/env.js"
import { withCapturedLogs, withRecordedSpans } from "./support/observe.js"
import { assertNoSecrets, renderSpan } from "./support/secrets.js"

/** A request body's bytes as text (the sign-in's form is raw bytes). */
const bodyText = (body: unknown): string => {
  const bytes = (body as { readonly body?: unknown }).body
  return bytes instanceof Uint8Array ? new TextDecoder().decode(bytes) : ""
}

/** A caller's client that dies, quoting what the request carries: its token, or its whole body (the password). */
const dying = (
  quote: (request: { readonly headers: Record<string, string>; readonly body: string }) => string
) => dyingWith((request) => new TypeError(`refused to send ${quote(request)}`))

/** A caller's client that dies with what `defect` makes of the request it was given. */
const dyingWith = (
  defect: (request: {
    readonly headers: Record<string, string>
    readonly body: string
    readonly request: HttpClientRequest.HttpClientRequest
  }) => unknown
) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.die(defect({ headers: request.headers, body: bodyText(request.body), request }))
    )
  )

/**
 * A caller's client that fails (a transport error) and dies quoting the token in one cause (a finalizer of its own
 * dying after the failure, say): the defect is not the cause's first reason, and is masked all the same (the engine's
 * masking takes the cause's first `Die`, wherever it is, as `Effect.catchDefect` does). Effect 4 only: the Effect 3
 * edition's transport ends such a cause as its failure's `NetworkError`, the defect dropped before any masking.
 */
const failingThenDying = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request) => {
    const failure = new HttpClientError.HttpClientError({
      reason: new HttpClientError.TransportError({ request, description: "the proxy is down" })
    })
    const defect = new TypeError(`refused to send X-Plex-Token: ${request.headers["x-plex-token"]}`)
    return Effect.failCause(Cause.fromReasons([...Cause.fail(failure).reasons, ...Cause.die(defect).reasons]))
  })
)

/** An error of a caller's own, with a field of its own. */
class ProxyError extends Error {
  constructor(
    message: string,
    readonly sent: { readonly url: string },
    options?: ErrorOptions
  ) {
    super(message, options)
    this.name = "ProxyError"
  }
}

/**
 * The token in every place an error may hold it: in a message (as a query writes it), a field of an `Error` subclass,
 * down a nested `cause`, among an `AggregateError`'s errors.
 */
const nested = (request: { readonly headers: Record<string, string> }) => {
  const token = request.headers["x-plex-token"] ?? ""
  const encoded = encodeURIComponent(token)
  return new AggregateError(
    [
      new ProxyError("the proxy refused it", { url: `http://proxy.invalid/?X-Plex-Token=${encoded}` }),
      new Error("gave up", { cause: new Error("upstream", { cause: { header: `X-Plex-Token: ${token}` } }) })
    ],
    `2 attempts failed (${encoded})`
  )
}

/**
 * The paths of the fields of `value` (own properties and getters, down to a depth of 8) whose text holds one of
 * `secrets`: what a caller reaches by reading a defect's fields rather than printing it (an `HttpClientError`'s
 * `reason.request.headers`).
 */
const reachable = (value: unknown, secrets: ReadonlyArray<string>): Array<string> => {
  const found: Array<string> = []
  const seen = new Set<unknown>()
  const walk = (v: unknown, path: string, depth: number): void => {
    if (typeof v === "string") {
      if (secrets.some((secret) => v.includes(secret))) found.push(path)
      return
    }
    if (v === null || typeof v !== "object" || seen.has(v) || depth > 8) return
    seen.add(v)
    const keys = new Set<PropertyKey>(Reflect.ownKeys(v))
    for (let proto = Object.getPrototypeOf(v); proto !== null && proto !== Object.prototype;) {
      for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
        if (descriptor.get) keys.add(key)
      }
      proto = Object.getPrototypeOf(proto)
    }
    for (const key of keys) {
      let field: unknown
      try {
        field = (v as Record<PropertyKey, unknown>)[key]
      } catch {
        continue
      }
      walk(field, `${path}.${String(key)}`, depth + 1)
    }
  }
  walk(value, "defect", 0)
  return found
}

const server = { uri: "http://127.0.0.1:32400", token: Redacted.make(TOKEN) }

interface Case {
  readonly name: string
  readonly run: Effect.Effect<
    unknown,
    unknown,
    HttpClient.HttpClient | ClientIdentity.ClientIdentity | Credentials.Credentials
  >
  readonly client: Layer.Layer<HttpClient.HttpClient>
  readonly secret: string
  /** The name the library's span starts with (none for ServerClient's requests, which have no span of their own). */
  readonly span?: string
  /** The defect's name, as the client made it. */
  readonly defect?: string
  /** Whether the defect's message quotes the secret (it does unless false). */
  readonly inMessage?: false
}

const cases: ReadonlyArray<Case> = [
  {
    name: "the token, by the operation's client dying with it (getTokenDetails)",
    run: PlexAuth.getTokenDetails(),
    client: dying((request) => `X-Plex-Token: ${request.headers["x-plex-token"]}`),
    secret: TOKEN,
    span: "PlexAuth."
  },
  {
    name: "the token in an error's message and field, a nested cause, an AggregateError's errors (getTokenDetails)",
    run: PlexAuth.getTokenDetails(),
    client: dyingWith(nested),
    secret: TOKEN,
    span: "PlexAuth.",
    defect: "AggregateError"
  },
  {
    name: "the server's token, by ServerClient's client dying with it",
    run: Effect.flatMap(ServerClient.make(server), (client) => client.get("/library/sections")),
    client: dying((request) => `X-Plex-Token: ${request.headers["x-plex-token"]}`),
    secret: TOKEN
  },
  {
    name: "the server's token in an error's message and field, a nested cause, an AggregateError's errors (ServerClient)",
    run: Effect.flatMap(ServerClient.make(server), (client) => client.get("/library/sections")),
    client: dyingWith(nested),
    secret: TOKEN,
    defect: "AggregateError"
  },
  {
    // A client that turns its failures into defects (\`Effect.orDie\`): the error's request holds the token's header,
    // which the platform redacts only where the engine asks it to (\`Headers.currentRedactedNames\`), not where
    // the caller prints the cause.
    name: "the server's token in the request of an HttpClientError the client dies with (ServerClient)",
    run: Effect.flatMap(ServerClient.make(server), (client) => client.get("/library/sections")),
    client: dyingWith(
      ({ request }) =>
        new HttpClientError.HttpClientError({
          reason: new HttpClientError.TransportError({ request, description: "the proxy is down" })
        })
    ),
    secret: TOKEN,
    defect: "HttpClientError",
    inMessage: false
  },
  {
    // The same through the engine. Effect 4's request redacts its token header wherever it is printed, but its
    // `reason.request.headers` hold it: the defect becomes the operation's NetworkError (what the failure would have
    // been, as in the Effect 3 edition), which holds no request.
    name: "the token in the request of an HttpClientError the client dies with (getTokenDetails)",
    run: PlexAuth.getTokenDetails(),
    client: dyingWith(
      ({ request }) =>
        new HttpClientError.HttpClientError({
          reason: new HttpClientError.TransportError({ request, description: "the proxy is down" })
        })
    ),
    secret: TOKEN,
    span: "PlexAuth.",
    defect: "NetworkError",
    inMessage: false
  },
  {
    name: "the token, by the operation's client failing and then dying with it in one cause (getTokenDetails)",
    run: PlexAuth.getTokenDetails(),
    client: failingThenDying,
    secret: TOKEN,
    span: "PlexAuth."
  },
  {
    name: "the password, by the client dying with the sign-in's form",
    run: PlexAuth.postUsersSignInData({ login: "someone", password: PASSWORD }),
    client: dying((request) => `form ${request.body}`),
    secret: PASSWORD,
    span: "PlexAuth."
  }
]

describe("a defect quoting a secret of the request", () => {
  for (const c of cases) {
    it.effect(`${c.name}: masked in the Cause, its JSON, the logs and the spans`, () =>
      Effect.gen(function* () {
        const { exit: logged, lines } = yield* withCapturedLogs(
          withRecordedSpans(
            c.run.pipe(
              // A caller that logs what went wrong, as callers do.
              Effect.tapCause((cause) => Effect.logError("the request failed", cause))
            )
          )
        )
        const { exit, spans } = Exit.isSuccess(logged) ? logged.value : assert.fail("observing failed")
        assert.isTrue(Exit.isFailure(exit), "the client died")
        const cause = Exit.isFailure(exit) ? exit.cause : assert.fail("expected a failure")
        // Still a defect.
        const defect = cause.reasons.find(Cause.isDieReason)?.defect as Error
        assertNoSecrets(
          {
            "Cause.pretty": Cause.pretty(cause),
            "JSON.stringify": JSON.stringify(cause),
            "util.inspect": inspect(cause, { depth: 10 }),
            "defect.stack": defect.stack ?? "",
            // The defect itself, as a caller prints it (each rendering must work, not throw).
            "String(defect)": String(defect),
            "JSON.stringify(defect)": JSON.stringify(defect) ?? "",
            "util.inspect(defect)": inspect(defect, { depth: 10 }),
            logs: lines.join("\n"),
            spans: spans
              .filter((span) => c.span !== undefined && span.name.startsWith(c.span))
              .map((span) => renderSpan(span))
              .join("\n---\n")
          },
          [c.secret]
        )
        // Nor in any field of it a caller may read (a request's headers).
        assert.deepStrictEqual(reachable(defect, [c.secret]), [])
        // Still the error it was (its name), its message masked.
        assert.strictEqual(defect.name, c.defect ?? "TypeError")
        if (c.inMessage !== false) assert.include(defect.message, "<redacted>")
        assert.isAbove(lines.length, 0)
        // The operation's own span ended with it.
        if (c.span !== undefined) assert.isDefined(spans.find((span) => span.name.startsWith(c.span!)))
      }).pipe(Effect.provide(Layer.mergeAll(c.client, IdentityLive, CredentialsLive)))
    )
  }
})
