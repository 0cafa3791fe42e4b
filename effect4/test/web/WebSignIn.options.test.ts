/**
 * The mistakes of a first setup, said where they are made:
 * - where WebSignIn sends the browser to sign in: `authAppUrl`, else `PLEX_AUTH_APP_URL` from `Config` (as the PIN
 *   logins read it: `plex-auth fake-server` prints it as its sign-in page), else app.plex.tv's; a malformed one is
 *   `InvalidInput` of `WebSignIn.make` naming the option or the variable, before any request. The variable is given by
 *   a `ConfigProvider` of the test's (the vitest config blanks the environment's);
 * - an `appUrl` with a path (an app served under one), refused rather than cut to its origin;
 * - a start's Warning when plex.tv could not create its PIN (the visitor sees only the start page's short text, no status);
 * - a start asked at another loopback name than appUrl's (127.0.0.1 for localhost), whose return would be refused;
 * - a refused sign-in's Warning, naming the server `machineIdentifier` names and what to check (every user refused,
 *   the owner too, is a `machineIdentifier` of another server). Twin of test/web/'s (Effect 3).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Config, ConfigProvider, Effect, Exit, Layer, Redacted, Schema } from "effect"
import { HttpServerRequest } from "effect/http"
import { KeyValueStore } from "effect/persistence"
import { ClientIdentity, WebSignIn } from "effect4-plex-auth"
import { Fault, FakePlex } from "effect4-plex-auth/testing"
import { authUrlParams } from "../../../src/core/authUrl.js"
import { seed } from "./seed.js"
import { withCapturedLogs } from "../support/observe.js"

const Base = Layer.mergeAll(
  FakePlex.layer(seed),
  ClientIdentity.layer(FakePlex.testIdentity).pipe(Layer.orDie),
  KeyValueStore.layerMemory
)

const options = {
  appUrl: "https://media.example.com",
  machineIdentifier: FakePlex.defaults.serverId,
  sessionKey: Config.succeed(Redacted.make("unit-test-session-key-0123456789abcdefgh"))
} satisfies WebSignIn.Options

/** `PLEX_AUTH_APP_URL` as the only variable `Config` reads (none: `undefined`). */
const withVariable = (value: string | undefined) =>
  Effect.provide(
    ConfigProvider.layer(
      ConfigProvider.fromEnv({ env: value === undefined ? {} : { PLEX_AUTH_APP_URL: value } })
    )
  )

/** The page the start of a service made with `given` sends the browser to (the URL before its fragment). */
const startPage = (given: Partial<WebSignIn.Options>, variable: string | undefined) =>
  Effect.gen(function* () {
    const service = yield* WebSignIn.make({ ...options, ...given }).pipe(withVariable(variable))
    const url = Redacted.value((yield* service.start).url)
    return url.slice(0, url.indexOf("#?"))
  })

describe("WebSignIn's sign-in page from PLEX_AUTH_APP_URL", () => {
  it.effect(
    "without authAppUrl, the start sends the browser to the variable's page: the fake's, and signs in there",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        assert.notStrictEqual(fake.authAppUrl, "https://app.plex.tv/auth")
        // Read once, as the service is made: the start below runs without the variable.
        const service = yield* WebSignIn.make(options).pipe(withVariable(fake.authAppUrl))
        const started = yield* service.start
        const url = Redacted.value(started.url)
        assert.isTrue(url.startsWith(`${fake.authAppUrl}#?clientID=`), url)
        // What a browser does there: GET the fake's approval page, then POST its form (as bob, in alice's Home).
        const page = yield* Effect.orDie(fake.handle(new Request(url.slice(0, url.indexOf("#")))))
        assert.include(yield* Effect.promise(() => page.text()), 'id="approve"')
        const params = authUrlParams(url)
        const approved = yield* Effect.orDie(
          fake.handle(
            new Request(fake.authAppUrl, {
              method: "POST",
              body: new URLSearchParams({
                clientID: params.get("clientID") ?? "",
                code: params.get("code") ?? "",
                forwardUrl: params.get("forwardUrl") ?? "",
                account: "bob"
              })
            })
          )
        )
        assert.strictEqual(approved.status, 303)
        const { user } = yield* service.callback({
          cookie: `${started.cookie.name}=${started.cookie.value}`,
          url: approved.headers.get("location") ?? ""
        })
        assert.strictEqual(user.username, "bob")
        assert.strictEqual(user._tag, "HomeMember")
      }).pipe(Effect.provide(Base))
  )

  it.effect("the option wins over the variable; blank or unset is app.plex.tv's page", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      assert.strictEqual(
        yield* startPage({ authAppUrl: "http://localhost:9/auth" }, fake.authAppUrl),
        "http://localhost:9/auth"
      )
      assert.strictEqual(yield* startPage({}, " "), "https://app.plex.tv/auth")
      assert.strictEqual(yield* startPage({}, ""), "https://app.plex.tv/auth")
      assert.strictEqual(yield* startPage({}, undefined), "https://app.plex.tv/auth")
    }).pipe(Effect.provide(Base))
  )

  it.effect(
    "the variable's page is said once, at Info, as the service is made; not when authAppUrl is given or the variable unset",
    () =>
      Effect.gen(function* () {
        const said = (given: Partial<WebSignIn.Options>, variable: string | undefined) =>
          Effect.map(
            withCapturedLogs(WebSignIn.make({ ...options, ...given }).pipe(withVariable(variable))),
            ({ lines }) => lines.filter((line) => line.includes("PLEX_AUTH_APP_URL"))
          )
        const lines = yield* said({}, "http://127.0.0.1:9/auth/")
        assert.strictEqual(lines.length, 1, String(lines))
        assert.include(lines[0], "level=INFO")
        assert.include(
          lines[0],
          "WebSignIn: the sign-in page is PLEX_AUTH_APP_URL's, http://127.0.0.1:9/auth, not app.plex.tv's"
        )
        assert.deepStrictEqual(
          yield* said({ authAppUrl: "http://localhost:9/auth" }, "http://127.0.0.1:9/auth"),
          []
        )
        assert.deepStrictEqual(yield* said({}, undefined), [])
        assert.deepStrictEqual(yield* said({}, " "), [])
      }).pipe(Effect.provide(Base))
  )

  it.effect(
    "under FakePlex.layer, the page said is the fake's, set by the layer: not advised to be unset as one of the user's",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const page = new URL(fake.authAppUrl)
        // No variable of the test's: FakePlex.layer's ConfigProvider gives PLEX_AUTH_APP_URL (the fake's page).
        const { lines } = yield* withCapturedLogs(WebSignIn.make(options))
        const said = lines.filter((line) => line.includes("PLEX_AUTH_APP_URL"))
        assert.strictEqual(said.length, 1, String(lines))
        assert.include(said[0], `the sign-in page is PLEX_AUTH_APP_URL's, ${page.origin}${page.pathname}`)
        assert.include(
          said[0],
          "under FakePlex.layer, the fake's own page; otherwise perhaps one left in the environment"
        )
        // "Unset it" is said of a value left in the environment, not as the line's only advice.
        assert.notMatch(said[0], /\(unset it/)
      }).pipe(Effect.provide(Base))
  )

  it.effect("a malformed variable is InvalidInput naming it, of make and layer, before any request", () =>
    Effect.gen(function* () {
      yield* FakePlex.clearRequests
      for (const value of ["ftp://plex.example/auth", "http://127.0.0.1:32401/auth?x=1", "not a URL"]) {
        const made = yield* Effect.flip(WebSignIn.make(options).pipe(withVariable(value)))
        assert.strictEqual(made._tag, "InvalidInput")
        if (made._tag === "InvalidInput") {
          assert.strictEqual(made.operation, "WebSignIn.make")
          assert.strictEqual(made.field, "PLEX_AUTH_APP_URL")
          assert.include(made.message, "PLEX_AUTH_APP_URL")
        }
        const layered = yield* Effect.flip(
          Effect.scoped(Layer.build(WebSignIn.layer(options))).pipe(withVariable(value))
        )
        assert.strictEqual(layered._tag, "InvalidInput")
        if (layered._tag === "InvalidInput") assert.strictEqual(layered.field, "PLEX_AUTH_APP_URL")
      }
      // A malformed option is the option's, whatever the variable.
      const option = yield* Effect.flip(
        WebSignIn.make({ ...options, authAppUrl: "ftp://plex.example/auth" }).pipe(
          withVariable("http://127.0.0.1:32401/auth")
        )
      )
      assert.strictEqual(option._tag, "InvalidInput")
      if (option._tag === "InvalidInput") assert.strictEqual(option.field, "authAppUrl")
      assert.deepStrictEqual(yield* FakePlex.requests, [])
    }).pipe(Effect.provide(Base))
  )
})

describe("WebSignIn's appUrl and machineIdentifier, as a first setup gets them wrong", () => {
  it.effect(
    "an appUrl with a path, query or fragment is InvalidInput naming appUrl, saying what to give",
    () =>
      Effect.gen(function* () {
        for (const appUrl of ["https://media.example.com/myapp", "https://media.example.com/?from=plex"]) {
          const refused = yield* Effect.flip(WebSignIn.make({ ...options, appUrl }))
          assert.strictEqual(refused._tag, "InvalidInput")
          if (refused._tag === "InvalidInput") {
            assert.strictEqual(refused.field, "appUrl")
            assert.strictEqual(
              refused.message,
              'WebSignIn.make: invalid appUrl: must be the app\'s origin alone (https://media.example.com), without a path, query or fragment: callbackPath, startPath, signOutPath and homePath are from the root, so an app served under a path gives them with it (callbackPath "/myapp/auth/plex/callback")'
            )
          }
        }
        // An app under /myapp: its origin, and the paths with the prefix.
        const underPath = yield* WebSignIn.make({
          ...options,
          appUrl: "https://media.example.com/",
          callbackPath: "/myapp/auth/plex/callback",
          startPath: "/myapp/auth/plex/start",
          signOutPath: "/myapp/auth/plex/sign-out",
          homePath: "/myapp/"
        })
        const forwardUrl = authUrlParams(Redacted.value((yield* underPath.start).url)).get("forwardUrl") ?? ""
        assert.isTrue(
          forwardUrl.startsWith("https://media.example.com/myapp/auth/plex/callback?state="),
          forwardUrl
        )
      }).pipe(Effect.provide(Base))
  )

  it.effect("a refused sign-in logs the server machineIdentifier names and what to check", () =>
    Effect.gen(function* () {
      const refusal = (username: string, machineIdentifier: string) =>
        Effect.gen(function* () {
          const service = yield* WebSignIn.make({ ...options, machineIdentifier })
          const started = yield* service.start
          const params = authUrlParams(Redacted.value(started.url))
          yield* FakePlex.approvePin(params.get("code") ?? "", { account: username })
          const { exit, lines } = yield* withCapturedLogs(
            service.callback({
              cookie: `${started.cookie.name}=${started.cookie.value}`,
              url: params.get("forwardUrl") ?? ""
            })
          )
          assert.isTrue(Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof WebSignIn.AccessDenied)
          // The token the PIN gave the refused user: never in the log.
          const pin = (yield* (yield* FakePlex.FakePlex).pins).find((p) => p.code === params.get("code"))
          assert.isDefined(pin?.authToken)
          for (const line of lines) assert.notInclude(line, Redacted.value(pin!.authToken!))
          return lines.filter((line) => line.includes("refused"))
        })
      const serverId = FakePlex.defaults.serverId
      const dave = yield* refusal("dave", serverId)
      assert.strictEqual(dave.length, 1)
      assert.include(
        dave[0],
        `WebSignIn: refused dave: no access to the server ${serverId} (machineIdentifier): plex.tv lists it neither as theirs, nor in their Plex Home, nor shared with them (an invitation not accepted yet is no access). If they should have access (the server's owner is refused too), machineIdentifier names another server: give your server's, the clientIdentifier Resources.servers() lists for it or the machineIdentifier at its /identity`
      )
      // The newcomer's mistake: another server's identifier (or a typo), and even the owner is refused.
      const other = "0123456789abcdef0123456789abcdef01234567"
      const alice = yield* refusal("alice", ` ${other} `)
      assert.strictEqual(alice.length, 1)
      assert.include(
        alice[0],
        `WebSignIn: refused alice: no access to the server ${other} (machineIdentifier)`
      )
    }).pipe(Effect.provide(Base))
  )
})

describe("WebSignIn's start when plex.tv cannot create the PIN", () => {
  it.effect(
    "logs one Warning a failed start, naming the failure and what to check; a start that creates its PIN, none",
    () =>
      Effect.gen(function* () {
        const service = yield* WebSignIn.make(options)
        const startLines = Effect.map(withCapturedLogs(service.start), ({ exit, lines }) => ({
          failure: Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined,
          lines: lines.filter((line) => line.includes("WebSignIn"))
        }))
        assert.deepStrictEqual((yield* startLines).lines, [])
        // A plex.tv URL that is not plex.tv's (a Plex Media Server's answers 404 there), then plex.tv failing.
        for (const status of [404, 503]) {
          yield* FakePlex.fault("createPin", Fault.status(status))
          const { failure, lines } = yield* startLines
          assert.instanceOf(failure, WebSignIn.PlexUnavailable)
          const tag = failure instanceof WebSignIn.PlexUnavailable ? failure.failure : ""
          // The error and its Warning carry the status plex.tv answered with: a 404 and a 503 are both `Unexpected`.
          assert.strictEqual(
            failure instanceof WebSignIn.PlexUnavailable ? failure.status : undefined,
            status
          )
          assert.strictEqual(lines.length, 1, String(lines))
          assert.include(lines[0], "level=WARN")
          assert.include(
            lines[0],
            `WebSignIn: plex.tv could not be asked for a sign-in's PIN (createPin: ${tag} ${status}): the start failed with PlexUnavailable`
          )
          assert.include(lines[0], "PLEX_TV_URL")
          yield* FakePlex.clearFaults
        }
        // A 403 with a Retry-After (a CDN or rate limiter in front of plex.tv): the Warning says the wait, and the
        // error's JSON body carries it.
        yield* FakePlex.fault("createPin", Fault.status(403, { retryAfter: "30 seconds" }))
        const limited = yield* startLines
        assert.strictEqual(limited.lines.length, 1, String(limited.lines))
        assert.include(
          limited.lines[0],
          "WebSignIn: plex.tv could not be asked for a sign-in's PIN (createPin: Unauthorized 403, Retry-After 30 s): the start failed with PlexUnavailable"
        )
        // Busy (it asked to be asked later): its URL answered, so the Warning does not send the operator to check it.
        assert.include(limited.lines[0], "The plex.tv URL the app uses answered, asking to be asked later")
        assert.notInclude(limited.lines[0], "PLEX_TV_URL")
        assert.strictEqual(
          JSON.stringify(
            Schema.encodeUnknownSync(Schema.toCodecJson(WebSignIn.PlexUnavailable))(limited.failure)
          ),
          '{"_tag":"PlexUnavailable","operation":"createPin","failure":"Unauthorized","status":403,"retryAfterMillis":30000}'
        )
        yield* FakePlex.clearFaults
        // A 429 with no Retry-After: busy too.
        yield* FakePlex.fault("createPin", Fault.rateLimited())
        const busy = yield* startLines
        assert.strictEqual(busy.lines.length, 1, String(busy.lines))
        assert.include(
          busy.lines[0],
          "(createPin: RateLimited 429): the start failed with PlexUnavailable (the start route's 503 page). The plex.tv URL the app uses answered, asking to be asked later"
        )
        assert.notInclude(busy.lines[0], "PLEX_TV_URL")
        yield* FakePlex.clearFaults
        // No answer (a reset connection): no status, and no `status` key, so the error's JSON body (what the HttpApi
        // sends, Schema.toCodecJson) is the one it always was, the same in both editions.
        yield* FakePlex.fault("createPin", Fault.reset)
        const { failure } = yield* startLines
        assert.instanceOf(failure, WebSignIn.PlexUnavailable)
        assert.isFalse(
          failure !== null && typeof failure === "object" && "status" in failure,
          "no status key"
        )
        assert.strictEqual(
          JSON.stringify(Schema.encodeUnknownSync(Schema.toCodecJson(WebSignIn.PlexUnavailable))(failure)),
          '{"_tag":"PlexUnavailable","operation":"createPin","failure":"NetworkError"}'
        )
      }).pipe(Effect.provide(Base))
  )
})

describe("WebSignIn's start link's version", () => {
  it.effect(
    "is the PIN request's X-Plex-Version: the app's when its ClientIdentity names one, else effect-plex-auth's (as python-plexapi and @ctrl/plex do), none when the identity sends none",
    () =>
      Effect.gen(function* () {
        const linkAndHeader = (identity: ClientIdentity.ClientIdentityInput) =>
          Effect.gen(function* () {
            const service = yield* WebSignIn.make(options).pipe(
              Effect.provide(ClientIdentity.layer(identity).pipe(Layer.orDie))
            )
            const link = authUrlParams(Redacted.value((yield* service.start).url)).get(
              "context[device][version]"
            )
            const pins = (yield* FakePlex.requests).filter((r) => r.route === "createPin")
            return { link, header: pins[pins.length - 1]?.headers["x-plex-version"] }
          })
        // The test identity's version (0.1.0) is the library's too: an app's own, then none.
        const { version: _version, runtimeDefaults: _defaults, ...noVersion } = FakePlex.testIdentity
        assert.deepStrictEqual(yield* linkAndHeader({ ...noVersion, version: "2.5.0" }), {
          link: "2.5.0",
          header: "2.5.0"
        })
        // None given, the runtime defaults filled in (the default): the library's version, in the link and the header.
        assert.deepStrictEqual(yield* linkAndHeader(noVersion), {
          link: ClientIdentity.libraryVersion,
          header: ClientIdentity.libraryVersion
        })
        // `runtimeDefaults: false` sends only what is given: no version in either.
        assert.deepStrictEqual(yield* linkAndHeader({ ...noVersion, runtimeDefaults: false }), {
          link: null,
          header: undefined
        })
      }).pipe(Effect.provide(Base))
  )
})

describe("WebSignIn's start asked at another name of this machine than appUrl's", () => {
  it.effect("is warned of once for the service (its return would be refused), and still started", () =>
    Effect.gen(function* () {
      const service = yield* WebSignIn.make({ ...options, appUrl: "http://localhost:3000" })
      const startAt = (host: string) =>
        Effect.map(
          withCapturedLogs(
            service.startFor(
              HttpServerRequest.fromWeb(
                new Request("http://localhost:3000/auth/plex/start", { headers: { host } })
              )
            )
          ),
          ({ exit, lines }) => ({
            started: Exit.isSuccess(exit),
            lines: lines.filter((line) => line.includes("WebSignIn"))
          })
        )
      assert.deepStrictEqual(yield* startAt("localhost:3000"), { started: true, lines: [] })
      const first = yield* startAt("127.0.0.1:3000")
      assert.isTrue(first.started)
      assert.strictEqual(first.lines.length, 1, String(first.lines))
      assert.include(first.lines[0], "level=WARN")
      assert.include(
        first.lines[0],
        "WebSignIn: a sign-in was started at http://127.0.0.1:3000 while appUrl is http://localhost:3000"
      )
      // Once for the service.
      assert.deepStrictEqual(yield* startAt("127.0.0.1:3000"), { started: true, lines: [] })
    }).pipe(Effect.provide(Base))
  )
})
