import { assert, describe } from "@effect/vitest"
import { SystemError } from "@effect/platform/Error"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import {
  Cause,
  Config,
  ConfigError,
  Deferred,
  Duration,
  Effect,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Ref,
  TestClock
} from "effect"
import { ClientIdentity, Credentials, Jwt, PlexAuth, PlexError } from "effect-plex-auth"
import { FakePlex } from "effect-plex-auth/testing"
import { it } from "./support/it.js"
import { expectRequests, failsWith } from "./support/assertions.js"
import { IdentityLive, ISSUED_TOKEN, PASSWORD, TOKEN, withEnv } from "./support/env.js"
import * as MockHttp from "./support/MockHttp.js"
import { accountBody } from "./support/operations.js"

const tokenOf = <E, R>(layer: Layer.Layer<Credentials.Credentials, E, R>) =>
  Effect.flatMap(Effect.provide(Credentials.Credentials, layer), (credentials) => credentials.token)

describe("Credentials.layer / make", () => {
  it.effect("wraps a plain token in Redacted", () =>
    Effect.gen(function* () {
      const token = yield* tokenOf(Credentials.layer(TOKEN))
      assert.isTrue(Redacted.isRedacted(token))
      assert.strictEqual(Redacted.value(token), TOKEN)
    })
  )

  it.effect("keeps a Redacted token as it is", () =>
    Effect.gen(function* () {
      const redacted = Redacted.make(TOKEN)
      const token = yield* tokenOf(Credentials.layer(redacted))
      assert.strictEqual(token, redacted)
    })
  )

  const invalid: ReadonlyArray<readonly [string, unknown]> = [
    ["an empty token", ""],
    ["an empty Redacted token", Redacted.make("")],
    ["a token with a space", "abc def"],
    ["a token with surrounding whitespace", ` ${TOKEN} `],
    ["a token with a newline", "abc\n"],
    ["a token with a tab (Redacted)", Redacted.make("a\tb")],
    ["a token with NUL", "abc\u0000"],
    ["a non-string token", 12345]
  ]
  for (const [name, token] of invalid) {
    it.effect(`${name} fails with InvalidInput`, () =>
      Effect.gen(function* () {
        const error = yield* failsWith(tokenOf(Credentials.layer(token as string)), "InvalidInput")
        assert.strictEqual(error.operation, "Credentials")
        assert.strictEqual(error.field, "token")
      })
    )
  }

  it.effect("the InvalidInput never repeats the token", () =>
    Effect.gen(function* () {
      const error = yield* failsWith(tokenOf(Credentials.layer("secret-part other-part")), "InvalidInput")
      assert.notInclude(error.message, "secret-part")
      assert.notInclude(JSON.stringify(error), "secret-part")
    })
  )
})

it.effect("an invalid Credentials layer fails the program before any request is sent", () =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Effect.provide(Credentials.layer(""))))
    assert.strictEqual(error._tag, "InvalidInput")
    yield* expectRequests(0)
  }).pipe(
    Effect.provide(
      Layer.merge(
        MockHttp.layer(() => MockHttp.json(200, accountBody)),
        IdentityLive
      ).pipe(Layer.orDie)
    )
  )
)

describe("Credentials.layerConfig", () => {
  it.effect("reads PLEX_TOKEN as Redacted", () =>
    Effect.gen(function* () {
      const token = yield* tokenOf(Credentials.layerConfig())
      assert.strictEqual(Redacted.value(token), TOKEN)
    }).pipe(withEnv({ PLEX_TOKEN: TOKEN }))
  )

  it.effect("a missing PLEX_TOKEN is a ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(tokenOf(Credentials.layerConfig()))
      assert.isTrue(ConfigError.isConfigError(error))
      assert.include(String(error), "PLEX_TOKEN")
    }).pipe(withEnv({}))
  )

  it.effect(
    "a spaced PLEX_TOKEN is InvalidInput naming PLEX_TOKEN, never the token; an empty one is unset",
    () =>
      Effect.gen(function* () {
        const invalid = (layer: ReturnType<typeof Credentials.layerConfig>, token: string) =>
          Effect.flip(tokenOf(layer)).pipe(
            withEnv({ PLEX_TOKEN: token, MY_PLEX_TOKEN: token }),
            Effect.map((error) => (error._tag === "InvalidInput" ? error : assert.fail(String(error))))
          )
        // An empty PLEX_TOKEN counts as unset, as on Effect 4 (config-empty.test.ts); read by a Config of the
        // caller's, "" is a value as that Config says, refused.
        const unset = yield* Effect.flip(tokenOf(Credentials.layerConfig())).pipe(withEnv({ PLEX_TOKEN: "" }))
        assert.isTrue(ConfigError.isConfigError(unset) && ConfigError.isMissingDataOnly(unset), String(unset))
        const empty = yield* invalid(Credentials.layerConfig(Config.redacted("MY_PLEX_TOKEN")), "")
        assert.strictEqual(empty.message, "Credentials: invalid token: must not be empty")
        const spaced = yield* invalid(Credentials.layerConfig(), "secret token")
        assert.deepInclude(spaced, { operation: "Credentials.layerConfig", field: "PLEX_TOKEN" })
        assert.strictEqual(
          spaced.message,
          "Credentials.layerConfig: invalid PLEX_TOKEN: must contain only visible ASCII characters (no whitespace, control or non-ASCII)"
        )
        for (const shown of [String(spaced), JSON.stringify(spaced)]) assert.notInclude(shown, "secret")
        // A Config of the caller's: its key is not known, so the token is reported as Credentials.make does.
        const given = yield* invalid(
          Credentials.layerConfig(Config.redacted("MY_PLEX_TOKEN")),
          "secret token"
        )
        assert.deepInclude(given, { operation: "Credentials", field: "token" })
      })
  )

  it.effect("takes any Config of a Redacted token", () =>
    Effect.gen(function* () {
      const token = yield* tokenOf(Credentials.layerConfig(Config.redacted("MY_PLEX_TOKEN")))
      assert.strictEqual(Redacted.value(token), "custom-token")
    }).pipe(withEnv({ MY_PLEX_TOKEN: "custom-token" }))
  )
})

describe("Credentials.layerSignIn", () => {
  const signedIn = () => MockHttp.json(201, { ...accountBody, authToken: ISSUED_TOKEN })
  const details = () => MockHttp.json(200, accountBody)

  it.effect("signs in once when built and serves the token to every operation", () =>
    Effect.gen(function* () {
      const mock = MockHttp.layer((request) =>
        request.url.pathname === "/api/v2/users/signin" ? signedIn() : details()
      )
      const credentials = Credentials.layerSignIn({ login: "tester", password: PASSWORD }).pipe(
        Layer.provide(Layer.merge(mock, IdentityLive))
      )
      const requests = yield* Effect.gen(function* () {
        yield* PlexAuth.getTokenDetails()
        yield* PlexAuth.getTokenDetails()
        return yield* MockHttp.requests
      }).pipe(Effect.provide(Layer.mergeAll(credentials, IdentityLive, mock).pipe(Layer.orDie)))
      assert.deepStrictEqual(
        requests.map((r) => r.url.pathname),
        ["/api/v2/users/signin", "/api/v2/user", "/api/v2/user"]
      )
      assert.isUndefined(requests[0]!.headers["x-plex-token"])
      assert.strictEqual(requests[1]!.headers["x-plex-token"], ISSUED_TOKEN)
      assert.strictEqual(requests[2]!.headers["x-plex-token"], ISSUED_TOKEN)
    })
  )

  it.effect("asks for a long-lived session (rememberMe=true) unless told otherwise", () =>
    Effect.gen(function* () {
      const sent = (input: PlexAuth.SignInInput) =>
        Effect.gen(function* () {
          const mock = MockHttp.layer(signedIn)
          return yield* Effect.gen(function* () {
            yield* tokenOf(Credentials.layerSignIn(input))
            const [request] = yield* MockHttp.requests
            return new URLSearchParams(request!.body).get("rememberMe")
          }).pipe(Effect.provide(Layer.merge(mock, IdentityLive).pipe(Layer.orDie)))
        })
      assert.strictEqual(yield* sent({ login: "tester", password: PASSWORD }), "true")
      assert.strictEqual(yield* sent({ login: "tester", password: PASSWORD, rememberMe: undefined }), "true")
      assert.strictEqual(yield* sent({ login: "tester", password: PASSWORD, rememberMe: false }), "false")
    })
  )

  it.effect("fails with the sign-in's error (VerificationCodeRequired)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        tokenOf(Credentials.layerSignIn({ login: "tester", password: PASSWORD }))
      )
      assert.strictEqual(error._tag, "VerificationCodeRequired")
    }).pipe(
      Effect.provide(
        Layer.merge(
          MockHttp.layer(() =>
            MockHttp.plexErrors(401, [{ code: 1029, message: "Please enter the verification code" }])
          ),
          IdentityLive
        ).pipe(Layer.orDie)
      )
    )
  )

  it.effect("invalid sign-in input fails the layer without a request", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(tokenOf(Credentials.layerSignIn({ login: "", password: PASSWORD })))
      assert.strictEqual(error._tag, "InvalidInput")
      yield* expectRequests(0)
    }).pipe(Effect.provide(Layer.merge(MockHttp.layer(signedIn), IdentityLive).pipe(Layer.orDie)))
  )
})

describe("Credentials.withToken", () => {
  const mock = () => MockHttp.json(200, accountBody)

  it.effect("provides a token to one effect, with no Credentials layer needed", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(Redacted.make("per-call-token")))
      const [request] = yield* expectRequests(1)
      assert.strictEqual(request!.headers["x-plex-token"], "per-call-token")
    }).pipe(Effect.provide(Layer.merge(MockHttp.layer(mock), IdentityLive).pipe(Layer.orDie)))
  )

  it.effect("the innermost withToken wins", () =>
    Effect.gen(function* () {
      yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken("inner"), Credentials.withToken("outer"))
      const [request] = yield* expectRequests(1)
      assert.strictEqual(request!.headers["x-plex-token"], "inner")
    }).pipe(Effect.provide(Layer.merge(MockHttp.layer(mock), IdentityLive).pipe(Layer.orDie)))
  )

  it.effect("an invalid token fails with InvalidInput and sends nothing", () =>
    Effect.gen(function* () {
      yield* failsWith(PlexAuth.getTokenDetails().pipe(Credentials.withToken("")), "InvalidInput")
      yield* expectRequests(0)
    }).pipe(Effect.provide(Layer.merge(MockHttp.layer(mock), IdentityLive).pipe(Layer.orDie)))
  )
})

/** A managed Home user's token in the fake (its seed names it). */
const managedToken = "managed-kids-token"

describe("Credentials.validate", () => {
  it.effect(
    "an identity header that cannot be sent says nothing of the token: Unknown (keep it), never Invalid",
    () =>
      Effect.gen(function* () {
        // A ClientIdentity service of the caller's own making (`Layer.succeed`) with text not encoded as bytes: the
        // engine refuses it before any request (InvalidInput naming the header). The token is not at fault: an
        // `Invalid` would have the app throw it away and sign in again, to be refused the same way.
        const good = yield* ClientIdentity.make(FakePlex.testIdentity)
        const validity = yield* Credentials.validate.pipe(
          Effect.provideService(ClientIdentity.ClientIdentity, {
            ...good,
            headers: { ...good.headers, "X-Plex-Device-Name": "Café ☕" }
          })
        )
        assert.strictEqual(validity._tag, "Unknown")
        assert.deepInclude(validity._tag === "Unknown" ? validity.error : undefined, {
          _tag: "InvalidInput",
          field: "ClientIdentity x-plex-device-name"
        })
        assert.deepStrictEqual(yield* FakePlex.requests, [], "no request was sent")
      }).pipe(
        Effect.provide(
          Layer.merge(FakePlex.layer(), Credentials.layer(FakePlex.defaults.token)).pipe(Layer.orDie)
        )
      )
  )
  it.effect(
    "a managed Home user's token is Valid (plex.tv, and the fake, answer it 200); revoked, Invalid",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const valid = yield* Credentials.validate
        assert.strictEqual(valid._tag, "Valid")
        assert.strictEqual(valid._tag === "Valid" && valid.account.restricted, true)
        yield* fake.revokeToken(managedToken)
        assert.strictEqual((yield* Credentials.validate)._tag, "Invalid")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            FakePlex.layer({
              accounts: [{ username: "alice" }, { username: "kids", managed: true, token: managedToken }],
              homes: [{ members: ["kids"] }]
            }),
            IdentityLive,
            Credentials.layer(managedToken)
          ).pipe(Layer.orDie)
        )
      )
  )
})

describe("Credentials.layerStored", () => {
  it.effect(
    "an empty or blank key is InvalidInput naming key, before the store is asked or obtain runs: Credentials and Jwt, layerStored and forgetStored (both editions)",
    () =>
      Effect.gen(function* () {
        // Every store call, by kind and key; none is expected.
        const asked: Array<string> = []
        const recording = Layer.effect(
          KeyValueStore.KeyValueStore,
          Effect.map(KeyValueStore.KeyValueStore, (inner) =>
            KeyValueStore.make({
              ...inner,
              get: (key) => Effect.suspend(() => (asked.push(`get ${key}`), inner.get(key))),
              set: (key, value) => Effect.suspend(() => (asked.push(`set ${key}`), inner.set(key, value))),
              remove: (key) => Effect.suspend(() => (asked.push(`remove ${key}`), inner.remove(key)))
            })
          )
        ).pipe(Layer.provide(KeyValueStore.layerMemory))
        let obtained = 0
        const obtain = Effect.sync(() => {
          obtained++
          return FakePlex.defaults.token
        })
        const built = <E, R>(layer: Layer.Layer<Credentials.Credentials, E, R>) =>
          Effect.flip(Effect.scoped(Layer.build(Layer.provide(layer, recording))))
        for (const key of ["", " ", "\t\n "]) {
          const refusals = [
            ["Credentials.layerStored", yield* built(Credentials.layerStored({ obtain, key }))],
            ["Jwt.layerStored", yield* built(Jwt.layerStored({ obtain: () => obtain, key }))],
            [
              "Credentials.forgetStored",
              yield* Effect.flip(Effect.provide(Credentials.forgetStored(key), recording))
            ],
            ["Jwt.forgetStored", yield* Effect.flip(Effect.provide(Jwt.forgetStored(key), recording))]
          ] as const
          for (const [operation, error] of refusals) {
            assert.strictEqual(error._tag, "InvalidInput", operation)
            if (error._tag !== "InvalidInput") continue
            assert.deepStrictEqual(
              { operation: error.operation, field: error.field, reason: error.reason },
              {
                operation,
                field: "key",
                reason: "must not be empty"
              }
            )
          }
        }
        assert.deepStrictEqual(asked, [])
        assert.strictEqual(obtained, 0)
        assert.deepStrictEqual(yield* FakePlex.requests, [])
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "started with no token stored, it reads the stored token once, then obtains one and stores it",
    () =>
      Effect.gen(function* () {
        const store = yield* KeyValueStore.KeyValueStore
        // The reads of the token's entry (not of the lease's, `<key>:obtaining`).
        let reads = 0
        const counting: KeyValueStore.KeyValueStore = {
          ...store,
          get: (key) =>
            key === Credentials.defaultStoreKey
              ? Effect.zipRight(
                  Effect.sync(() => reads++),
                  store.get(key)
                )
              : store.get(key)
        }
        const layer = Credentials.layerStored({ obtain: Effect.succeed(FakePlex.defaults.token) }).pipe(
          Layer.provide(Layer.succeed(KeyValueStore.KeyValueStore, counting))
        )
        const token = yield* Effect.scoped(
          Effect.flatMap(Layer.build(layer), (context) =>
            Effect.flatMap(
              Effect.provide(Credentials.Credentials, context),
              (credentials) => credentials.token
            )
          )
        )
        assert.strictEqual(Redacted.value(token), Redacted.value(FakePlex.defaults.token))
        assert.strictEqual(reads, 1)
        const stored = yield* store.get(Credentials.defaultStoreKey)
        assert.strictEqual(Option.getOrUndefined(stored), Redacted.value(FakePlex.defaults.token))
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  it.effect(
    "a token the store cannot keep: the sign-in still succeeds, and the failure is logged at Debug",
    () =>
      Effect.gen(function* () {
        const levels: Array<string> = []
        const logger = Logger.make(({ logLevel }) => {
          levels.push(logLevel.label)
        })
        const full = Layer.succeed(
          KeyValueStore.KeyValueStore,
          KeyValueStore.makeStringOnly({
            get: () => Effect.succeed(Option.none()),
            set: () =>
              Effect.fail(new SystemError({ module: "KeyValueStore", method: "set", reason: "Unknown" })),
            remove: () => Effect.void,
            clear: Effect.void,
            size: Effect.succeed(0)
          })
        )
        const account = yield* PlexAuth.getTokenDetails().pipe(
          Effect.provide(
            Credentials.layerStored({ obtain: Effect.succeed(FakePlex.defaults.token) }).pipe(
              Layer.provide(full)
            )
          ),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
        assert.strictEqual(account.username, FakePlex.defaults.username)
        assert.deepStrictEqual(levels, ["DEBUG"])
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "a store that cannot keep the token, nor forget it at the sign-out (its removal dies): both still succeed, and each Debug line says what failed, and how (both editions)",
    () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        // Each line's level, message and the first line of the failure's text (a stack trace follows).
        const logger = Logger.make(({ logLevel, message }) => {
          const [text, failure] = Array.isArray(message) ? message : [message]
          lines.push(`${logLevel.label} ${text} | ${String(failure).split("\n")[0]}`)
        })
        // Its write fails (then the token reads as written, as a store that wrote it and failed to say so); its
        // removal dies, a defect of the store.
        let written = false
        const broken = Layer.succeed(
          KeyValueStore.KeyValueStore,
          KeyValueStore.makeStringOnly({
            get: (key) =>
              Effect.succeed(
                written && key === Credentials.defaultStoreKey
                  ? Option.some(Redacted.value(FakePlex.defaults.token))
                  : Option.none()
              ),
            set: (key) =>
              key === Credentials.defaultStoreKey
                ? Effect.sync(() => {
                    written = true
                  }).pipe(
                    Effect.zipRight(
                      Effect.fail(
                        new SystemError({ module: "KeyValueStore", method: "set", reason: "Unknown" })
                      )
                    )
                  )
                : Effect.void,
            remove: (key) =>
              key === Credentials.defaultStoreKey
                ? Effect.die(new Error("the store's own bug"))
                : Effect.void,
            clear: Effect.void,
            size: Effect.succeed(0)
          })
        )
        const program = Effect.gen(function* () {
          const account = yield* PlexAuth.getTokenDetails()
          yield* PlexAuth.signOut()
          return account
        })
        const account = yield* program.pipe(
          Effect.provide(
            Credentials.layerStored({ obtain: Effect.succeed(FakePlex.defaults.token) }).pipe(
              Layer.provide(broken)
            )
          ),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
        assert.strictEqual(account.username, FakePlex.defaults.username)
        assert.deepStrictEqual(lines, [
          "DEBUG the store could not keep the token: it is used, not stored | SystemError: Unknown: KeyValueStore.set",
          "DEBUG the store could not forget the signed-out token (the sign-out stands) | Error: the store's own bug"
        ])
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "a store whose failures quote the token (its write's, its removal's): the Debug lines never show it, whole or encoded (both editions)",
    () =>
      Effect.gen(function* () {
        const token = Redacted.value(FakePlex.defaults.token)
        const lines: Array<string> = []
        const logger = Logger.make(({ cause, message }) => {
          lines.push(`${JSON.stringify(message)} ${Cause.pretty(cause, { renderErrorCause: true })}`)
        })
        // A store that says what it could not do, the value too (a client's `SET key value` echoed in its error).
        const failing = (method: string, what: string) =>
          new SystemError({
            module: "KeyValueStore",
            method,
            reason: "Unknown",
            description: `cannot ${what}`
          })
        let stored: string | undefined
        const broken = Layer.succeed(
          KeyValueStore.KeyValueStore,
          KeyValueStore.makeStringOnly({
            get: (key) =>
              Effect.succeed(
                key === Credentials.defaultStoreKey ? Option.fromNullable(stored) : Option.none()
              ),
            set: (key, value) =>
              key === Credentials.defaultStoreKey
                ? Effect.sync(() => {
                    stored = value
                  }).pipe(Effect.zipRight(Effect.fail(failing("set", `SET ${key} ${value}`))))
                : Effect.void,
            remove: (key) =>
              key === Credentials.defaultStoreKey
                ? Effect.die(new Error(`cannot DEL ${key} (${encodeURIComponent(stored ?? "")})`))
                : Effect.void,
            clear: Effect.void,
            size: Effect.succeed(0)
          })
        )
        yield* Effect.gen(function* () {
          yield* PlexAuth.getTokenDetails()
          yield* PlexAuth.signOut()
        }).pipe(
          Effect.provide(
            Credentials.layerStored({ obtain: Effect.succeed(FakePlex.defaults.token) }).pipe(
              Layer.provide(broken)
            )
          ),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
        for (const line of lines) {
          assert.notInclude(line, token)
          assert.notInclude(line, encodeURIComponent(token))
        }
        // Both failures logged, with what the store said (its words kept, the token masked).
        assert.strictEqual(lines.length, 2)
        assert.include(lines[0], "the store could not keep the token")
        assert.include(lines[0], `SET ${Credentials.defaultStoreKey} <redacted>`)
        assert.include(lines[1], "the store could not forget the signed-out token")
        assert.include(lines[1], `cannot DEL ${Credentials.defaultStoreKey} (<redacted>)`)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.effect(
    "a token obtain gives that Credentials.make refuses (a token file's trailing newline) is InvalidInput: never sent, never stored",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const bad = Effect.succeed(Redacted.make(`${Redacted.value(fake.token)}\n`))
        const named = (error: { readonly _tag: string }) =>
          error instanceof PlexError.InvalidInput ? [error.operation, error.field] : error._tag
        // Made with it: InvalidInput naming obtain, never the token.
        const made = yield* Effect.flip(Effect.scoped(Credentials.makeRefreshing({ obtain: bad })))
        assert.deepStrictEqual(named(made), ["Credentials.makeRefreshing", "obtain"])
        assert.notInclude(String(made), Redacted.value(fake.token))
        // Why, in the token check's words about the token obtain gave.
        assert.match(made instanceof PlexError.InvalidInput ? made.reason : "", /^its token /)
        // Kept in a store: the layer fails, and nothing is stored.
        const stored = yield* Effect.flip(
          Effect.scoped(Layer.build(Credentials.layerStored({ obtain: bad })))
        )
        assert.deepStrictEqual(named(stored), ["Credentials.layerStored", "obtain"])
        const store = yield* KeyValueStore.KeyValueStore
        assert.isFalse(yield* store.has(Credentials.defaultStoreKey))
        // In a re-authentication, no new token came: the refused request is not sent again.
        const revoked = yield* fake.mintToken()
        yield* fake.revokeToken(revoked)
        const refused = yield* Effect.flip(
          Effect.scoped(
            Effect.flatMap(Credentials.makeRefreshing({ initial: revoked, obtain: bad }), (credentials) =>
              PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
            )
          )
        )
        assert.strictEqual(
          refused._tag === "Unauthorized" ? refused.reauthentication : refused._tag,
          "Failed"
        )
        assert.strictEqual((yield* FakePlex.requests).length, 1)
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  /**
   * Moves the clock `step` at a time, `steps` times, as the processes' polls need (each reaches its wait before the
   * clock passes it), but only while one of `fibers` (the calls under test) still runs: from when they have all
   * ended, what is left of `steps × step` passes in one `TestClock.adjust`, which still wakes every sleep up to its
   * end in order (a late `obtain` in a layer's background is still counted by the assertions after). In Effect 3
   * each `adjust` costs about 0.6 ms of CPU (it waits on timers for the test's fibers to suspend), and the calls end
   * about halfway through the steps (61 of 120, 244 of 500).
   */
  const stepWhileRunning = (
    fibers: ReadonlyArray<Fiber.RuntimeFiber<unknown, unknown>>,
    steps: number,
    step: Duration.DurationInput
  ) =>
    Effect.gen(function* () {
      let taken = 0
      for (; taken < steps && fibers.some((fiber) => fiber.unsafePoll() === null); taken++) {
        yield* TestClock.adjust(step)
      }
      if (taken < steps) yield* TestClock.adjust(Duration.times(step, steps - taken))
    })

  // Two processes sharing one store (here two layers over one memory store), both refused at the same moment: one
  // runs `obtain` (a PIN login the user approves), the other waits for the token it stores, instead of asking the
  // user for a second approval. Without the lease, `obtain` ran in both.
  const twoProcesses = Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const store = yield* KeyValueStore.KeyValueStore
    const obtained = yield* Ref.make(0)
    // A sign-in that takes a minute (the user approving a PIN), then mints a token the fake accepts.
    const obtain = Effect.zipRight(
      Effect.zipRight(
        Ref.update(obtained, (n) => n + 1),
        Effect.sleep("1 minute")
      ),
      fake.mintToken()
    )
    const processLayer = Credentials.layerStored({ obtain }).pipe(
      Layer.provide(Layer.succeed(KeyValueStore.KeyValueStore, store))
    )
    return { fake, store, obtained, processLayer }
  })

  it.scoped(
    "processes sharing a store refused at the same moment run obtain once: the others take its token",
    () =>
      Effect.gen(function* () {
        const { fake, obtained, processLayer, store } = yield* twoProcesses
        yield* store.set(Credentials.defaultStoreKey, Redacted.value(fake.token))
        const a = yield* Layer.build(processLayer)
        const b = yield* Layer.build(processLayer)
        yield* fake.revokeToken(fake.token)
        const calls = yield* Effect.fork(
          Effect.all(
            [a, b].map((context) => Effect.provide(PlexAuth.getTokenDetails(), context)),
            { concurrency: "unbounded" }
          )
        )
        // A second at a time: each process reaches its wait (a poll, the sign-in's minute) before the clock passes it.
        yield* stepWhileRunning([calls], 120, "1 second")
        const accounts = yield* Fiber.join(calls)
        assert.deepStrictEqual(
          accounts.map((account) => account.username),
          [FakePlex.defaults.username, FakePlex.defaults.username]
        )
        assert.strictEqual(yield* Ref.get(obtained), 1)
        // The lease is gone, the token stored is the one both use.
        assert.isFalse(yield* store.has(`${Credentials.defaultStoreKey}:obtaining`))
        const tokens = yield* Effect.forEach([a, b], (context) =>
          Effect.provide(
            Effect.flatMap(Credentials.Credentials, (c) => c.token),
            context
          )
        )
        const stored = yield* store.get(Credentials.defaultStoreKey)
        assert.deepStrictEqual(tokens.map(Redacted.value), [
          Option.getOrThrow(stored),
          Option.getOrThrow(stored)
        ])
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  it.scoped(
    "a process that sees the lease released looks for the token once more before it claims: stored just after",
    () =>
      Effect.gen(function* () {
        const { fake, obtained, store } = yield* twoProcesses
        // The holder releases the lease as `obtain` ends and stores the token once the credentials have kept it:
        // here half a second later (a slow disk). The other looks every second, a quarter second out of step.
        const slow: KeyValueStore.KeyValueStore = {
          ...store,
          set: (key, value) =>
            key === Credentials.defaultStoreKey
              ? Effect.delay(store.set(key, value), "500 millis")
              : store.set(key, value)
        }
        const processLayer = Credentials.layerStored({
          obtain: Effect.zipRight(
            Effect.zipRight(
              Ref.update(obtained, (n) => n + 1),
              Effect.sleep("1 minute")
            ),
            fake.mintToken()
          )
        }).pipe(Layer.provide(Layer.succeed(KeyValueStore.KeyValueStore, slow)))
        yield* store.set(Credentials.defaultStoreKey, Redacted.value(fake.token))
        const a = yield* Layer.build(processLayer)
        const b = yield* Layer.build(processLayer)
        yield* fake.revokeToken(fake.token)
        const call = (context: typeof a) => Effect.provide(PlexAuth.getTokenDetails(), context)
        const first = yield* Effect.fork(call(a))
        yield* TestClock.adjust("250 millis")
        const second = yield* Effect.fork(call(b))
        yield* stepWhileRunning([first, second], 500, "250 millis")
        assert.strictEqual((yield* Fiber.join(first)).username, FakePlex.defaults.username)
        assert.strictEqual((yield* Fiber.join(second)).username, FakePlex.defaults.username)
        assert.strictEqual(yield* Ref.get(obtained), 1)
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  it.scoped("processes started with no token at the same moment run obtain once", () =>
    Effect.gen(function* () {
      const { obtained, processLayer } = yield* twoProcesses
      const both = yield* Effect.fork(
        Effect.all([Layer.build(processLayer), Layer.build(processLayer)], { concurrency: "unbounded" })
      )
      yield* stepWhileRunning([both], 120, "1 second")
      const contexts = yield* Fiber.join(both)
      assert.strictEqual(yield* Ref.get(obtained), 1)
      for (const context of contexts) {
        assert.strictEqual(
          (yield* Effect.provide(PlexAuth.getTokenDetails(), context)).username,
          FakePlex.defaults.username
        )
      }
    }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  it.scoped(
    "a lease its process left (it died mid sign-in) holds the others off for 30 seconds at most; the wait is logged once",
    () =>
      Effect.gen(function* () {
        const logged: Array<string> = []
        const logger = Logger.make(({ logLevel, message }) => {
          logged.push(`${logLevel.label} ${String(message)}`)
        })
        const { obtained, processLayer, store } = yield* twoProcesses
        const now = yield* TestClock.currentTimeMillis
        yield* store.set(
          `${Credentials.defaultStoreKey}:obtaining`,
          JSON.stringify({ holder: "a process that died", until: now + 30_000 })
        )
        const built = yield* Effect.fork(
          Layer.build(processLayer).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        )
        yield* TestClock.adjust("29 seconds")
        assert.strictEqual(yield* Ref.get(obtained), 0)
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(yield* Ref.get(obtained), 1)
        yield* TestClock.adjust("1 minute")
        const context = yield* Fiber.join(built)
        assert.strictEqual(
          (yield* Effect.provide(PlexAuth.getTokenDetails(), context)).username,
          FakePlex.defaults.username
        )
        assert.isFalse(yield* store.has(`${Credentials.defaultStoreKey}:obtaining`))
        // Said once, at Info, however many looks the 30 seconds took; nothing of the lease or the store in it.
        assert.strictEqual(logged.length, 1)
        assert.match(
          logged[0]!,
          /^INFO Another process sharing this store is signing in\b.*waiting for the token it stores/
        )
        assert.notInclude(logged[0]!, "a process that died")
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  // effect4/test/Credentials.test.ts has the same: there the renewal started a scheduler turn late.
  it.scoped(
    "a refused call forked and the clock moved past the lease at once: renewed from the claim on, it holds the others off",
    () =>
      Effect.gen(function* () {
        const { fake, obtained, processLayer, store } = yield* twoProcesses
        yield* store.set(Credentials.defaultStoreKey, Redacted.value(fake.token))
        const a = yield* Layer.build(processLayer)
        const b = yield* Layer.build(processLayer)
        yield* fake.revokeToken(fake.token)
        const call = (context: typeof a) => Effect.provide(PlexAuth.getTokenDetails(), context)
        const first = yield* Effect.fork(call(a))
        // Past the 30 seconds the lease claimed at 0 lasts, within obtain's minute: renewed every 10 seconds from
        // the claim, it still holds.
        yield* TestClock.adjust("45 seconds")
        assert.strictEqual(yield* Ref.get(obtained), 1)
        const second = yield* Effect.fork(call(b))
        yield* TestClock.adjust("1 second")
        // The second process waits for the token the first stores instead of running obtain.
        assert.strictEqual(yield* Ref.get(obtained), 1)
        for (let step = 0; step < 30; step++) yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(first)).username, FakePlex.defaults.username)
        assert.strictEqual((yield* Fiber.join(second)).username, FakePlex.defaults.username)
        assert.strictEqual(yield* Ref.get(obtained), 1)
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  it.scoped(
    "a lease renewed by a clock a second ahead (another machine sharing the store) still holds the others off",
    () =>
      Effect.gen(function* () {
        const { obtained, processLayer, store } = yield* twoProcesses
        // Read by this process's clock, it ends 31 seconds from now: more than a lease lasts, by the other clock's lead.
        yield* store.set(
          `${Credentials.defaultStoreKey}:obtaining`,
          JSON.stringify({ holder: "another process", until: (yield* TestClock.currentTimeMillis) + 31_000 })
        )
        const built = yield* Effect.fork(Layer.build(processLayer))
        // Without the allowance it read as no lease: this process claimed it at once and ran obtain too.
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* Ref.get(obtained), 0)
        yield* TestClock.adjust("31 seconds")
        assert.strictEqual(yield* Ref.get(obtained), 1)
        yield* TestClock.adjust("1 minute")
        yield* Fiber.join(built)
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  it.scoped(
    "a holder whose lease lapsed and another process claimed leaves that claim: neither renewed over nor released",
    () =>
      Effect.gen(function* () {
        const { obtained, processLayer, store } = yield* twoProcesses
        const leaseKey = `${Credentials.defaultStoreKey}:obtaining`
        const built = yield* Effect.fork(Layer.build(processLayer))
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* Ref.get(obtained), 1)
        // Its lease lapsed (the process stalled past 30 seconds) and another process claimed it, to run its own
        // `obtain`, and renews it. Renewed over, then removed as this one's obtain ends, that claim no longer held
        // the others off while the other process's user approves its PIN.
        const otherLease = Effect.map(TestClock.currentTimeMillis, (now) =>
          JSON.stringify({ holder: "another process", until: now + 30_000 })
        )
        let other = yield* otherLease
        yield* store.set(leaseKey, other)
        for (let renewal = 0; renewal < 6; renewal++) {
          yield* TestClock.adjust("10 seconds")
          assert.deepStrictEqual(yield* store.get(leaseKey), Option.some(other))
          other = yield* otherLease
          yield* store.set(leaseKey, other)
        }
        // This one's obtain ended at a minute: its release left the other's lease.
        yield* Fiber.join(built)
        assert.deepStrictEqual(yield* store.get(leaseKey), Option.some(other))
      }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )

  /**
   * `globalThis` as a page (`onpagehide` its own) or a worker (Deno, a web or service worker: `addEventListener`,
   * but no page) has it, its events on `target`, for the test's scope; the listeners added and removed, by type.
   */
  const asGlobal = (target: EventTarget, kind: "page" | "worker") => {
    const global = globalThis as {
      addEventListener?: unknown
      removeEventListener?: unknown
      onpagehide?: unknown
    }
    const added: Array<string> = []
    const removed: Array<string> = []
    return Effect.as(
      Effect.acquireRelease(
        Effect.sync(() => {
          global.addEventListener = (type: string, listener: EventListener) => {
            added.push(type)
            target.addEventListener(type, listener)
          }
          global.removeEventListener = (type: string, listener: EventListener) => {
            removed.push(type)
            target.removeEventListener(type, listener)
          }
          if (kind === "page") global.onpagehide = null
        }),
        () =>
          Effect.sync(() => {
            delete global.addEventListener
            delete global.removeEventListener
            delete global.onpagehide
          })
      ),
      { added, removed }
    )
  }

  /** A `Storage` in memory (a page's localStorage: it answers at once). */
  const memoryStorage = (): Storage => {
    const entries = new Map<string, string>()
    return {
      get length() {
        return entries.size
      },
      clear: () => entries.clear(),
      getItem: (key) => entries.get(key) ?? null,
      key: (index) => [...entries.keys()][index] ?? null,
      removeItem: (key) => void entries.delete(key),
      setItem: (key, value) => void entries.set(key, value)
    }
  }

  it.scoped(
    "a page that goes away mid obtain (pagehide) releases its lease at once: the next page's sign-in does not wait",
    () =>
      Effect.gen(function* () {
        // A browser: the page is an event target, the store its localStorage (a Storage answering at once).
        const page = new EventTarget()
        const { added, removed } = yield* asGlobal(page, "page")
        const storage = memoryStorage()
        const leaseKey = `${Credentials.defaultStoreKey}:obtaining`
        const obtaining = yield* Deferred.make<void>()
        const built = yield* Effect.fork(
          Layer.build(
            Credentials.layerStored({
              obtain: Effect.zipRight(Deferred.succeed(obtaining, undefined), Effect.never)
            }).pipe(Layer.provide(KeyValueStore.layerStorage(() => storage)))
          )
        )
        // The PIN window is open: the lease holds the other pages off.
        yield* Deferred.await(obtaining)
        assert.isNotNull(storage.getItem(leaseKey))
        // The user reloads: no finalizer runs in a page that goes, but its pagehide listeners do, and the lease is
        // gone before the page is (read in the same turn). Left, it held the reloaded page's sign-in off 30 seconds.
        const left = yield* Effect.sync(() => {
          page.dispatchEvent(new Event("pagehide"))
          return storage.getItem(leaseKey)
        })
        assert.isNull(left)
        yield* Fiber.interrupt(built)
        // Its listener goes with the obtain: none left behind per sign-in.
        assert.deepStrictEqual(
          [added, removed],
          [
            ["pagehide", "pageshow"],
            ["pagehide", "pageshow"]
          ]
        )
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.scoped(
    "a page put in the back/forward cache (pagehide, persisted) and restored (pageshow): the lease claimed again at once; a pagehide never removes another page's lease",
    () =>
      Effect.gen(function* () {
        const page = new EventTarget()
        yield* asGlobal(page, "page")
        const storage = memoryStorage()
        const leaseKey = `${Credentials.defaultStoreKey}:obtaining`
        const holder = () => JSON.parse(storage.getItem(leaseKey) ?? "null")?.holder as string | undefined
        const pageHide = (persisted: boolean) =>
          Effect.sync(() => void page.dispatchEvent(Object.assign(new Event("pagehide"), { persisted })))
        const obtaining = yield* Deferred.make<void>()
        const built = yield* Effect.fork(
          Layer.build(
            Credentials.layerStored({
              obtain: Effect.zipRight(Deferred.succeed(obtaining, undefined), Effect.never)
            }).pipe(Layer.provide(KeyValueStore.layerStorage(() => storage)))
          )
        )
        yield* Deferred.await(obtaining)
        const me = holder()
        assert.isString(me)
        // Kept for the back/forward cache: released as it goes (it may never come back, and its lease, not renewed
        // while frozen, would hold the other pages off until it lapsed).
        yield* pageHide(true)
        assert.isNull(storage.getItem(leaseKey))
        // Restored, its obtain going on: the lease is claimed again at once, as this page's (the next renewal was up
        // to 10 seconds later, while another page could start a sign-in of its own).
        yield* Effect.sync(() =>
          page.dispatchEvent(Object.assign(new Event("pageshow"), { persisted: true }))
        )
        assert.strictEqual(holder(), me)
        // Claimed with the app's clock (TestClock here): good for 30 seconds from its now.
        const until = JSON.parse(storage.getItem(leaseKey) ?? "null")?.until
        assert.strictEqual(until, (yield* TestClock.currentTimeMillis) + 30_000)
        // Another page's lease (this one's lapsed, that one claimed it): this page's pagehide leaves it.
        const other = JSON.stringify({
          holder: "another page",
          until: (yield* TestClock.currentTimeMillis) + 30_000
        })
        storage.setItem(leaseKey, other)
        yield* pageHide(false)
        assert.strictEqual(storage.getItem(leaseKey), other)
        yield* Fiber.interrupt(built)
        assert.strictEqual(storage.getItem(leaseKey), other)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.scoped(
    "no pagehide listener where the global is no page (Deno, a web or service worker: addEventListener, no onpagehide)",
    () =>
      Effect.gen(function* () {
        // A service worker's console warns of each listener added after its script first ran: one per sign-in.
        const { added } = yield* asGlobal(new EventTarget(), "worker")
        const storage = memoryStorage()
        const obtaining = yield* Deferred.make<void>()
        const built = yield* Effect.fork(
          Layer.build(
            Credentials.layerStored({
              obtain: Effect.zipRight(Deferred.succeed(obtaining, undefined), Effect.never)
            }).pipe(Layer.provide(KeyValueStore.layerStorage(() => storage)))
          )
        )
        // Under the lease, obtaining: no listener added.
        yield* Deferred.await(obtaining)
        assert.isNotNull(storage.getItem(`${Credentials.defaultStoreKey}:obtaining`))
        assert.deepStrictEqual(added, [])
        yield* Fiber.interrupt(built)
      }).pipe(Effect.provide(FakePlex.layerSignedIn()))
  )

  it.scoped("a layer's scope closed between the claim and its read-back leaves no lease behind", () =>
    Effect.gen(function* () {
      const { fake, obtained, store } = yield* twoProcesses
      const leaseKey = `${Credentials.defaultStoreKey}:obtaining`
      // The second look at the lease (the read-back of the claim) never answers: the layer is interrupted there.
      const readingBack = yield* Deferred.make<void>()
      let looks = 0
      const stalling: KeyValueStore.KeyValueStore = {
        ...store,
        get: (key) =>
          Effect.suspend(() =>
            key === leaseKey && ++looks === 2
              ? Effect.zipRight(Deferred.succeed(readingBack, undefined), Effect.never)
              : store.get(key)
          )
      }
      const built = yield* Effect.fork(
        Layer.build(
          Credentials.layerStored({
            obtain: Effect.zipRight(
              Ref.update(obtained, (n) => n + 1),
              fake.mintToken()
            )
          }).pipe(Layer.provide(Layer.succeed(KeyValueStore.KeyValueStore, stalling)))
        )
      )
      yield* Deferred.await(readingBack)
      assert.isTrue(yield* store.has(leaseKey))
      yield* Fiber.interrupt(built)
      // Left there, it held the other processes off for 30 seconds.
      assert.isFalse(yield* store.has(leaseKey))
      assert.strictEqual(yield* Ref.get(obtained), 0)
    }).pipe(Effect.provide(Layer.merge(FakePlex.layerSignedIn(), KeyValueStore.layerMemory)))
  )
})
