/**
 * Every public entry that takes input refuses bad input with `InvalidInput`,
 * before any request: wrong runtime types (from untyped JavaScript), values
 * past the size limits, hosts that would change what a URL points to, and
 * timeouts that would turn the per-attempt timeout off. Never a `TypeError`
 * (a defect), never a request.
 *
 * The Effect 4 edition of test/inputs.test.ts. Effect 4 does not re-export
 * fast-check (Effect 3's `FastCheck`), and this package does not depend on
 * it, so the two properties run over a fixed corpus of awkward values instead.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as Claim from "effect4-plex-auth/Claim"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as Home from "effect4-plex-auth/Home"
import * as Jwt from "effect4-plex-auth/Jwt"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import * as PlexError from "effect4-plex-auth/PlexError"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import * as Resources from "effect4-plex-auth/Resources"
import * as ServerAccess from "effect4-plex-auth/ServerAccess"
import * as ServerClient from "effect4-plex-auth/ServerClient"
import { FakePlex, Fault } from "effect4-plex-auth/testing"

const big = (n: number) => "a".repeat(n)
const MB = 1024 * 1024

/** An input untyped JavaScript may pass: the types say it cannot happen. */
const untyped = <A>(value: unknown): A => value as A

const Env = Layer.mergeAll(
  FakePlex.layer(),
  ClientIdentity.layer(FakePlex.testIdentity),
  PlexServer.layer(FakePlex.defaults.serverUrl)
).pipe(Layer.orDie)

// Each built lazily: before the fix, some threw a TypeError while being built.
const cases: ReadonlyArray<readonly [string, () => Effect.Effect<unknown, unknown, any>]> = [
  ["ClientIdentity.make(undefined)", () => ClientIdentity.make(untyped(undefined))],
  ["ClientIdentity.make(null)", () => ClientIdentity.make(untyped(null))],
  ["ClientIdentity.make(42)", () => ClientIdentity.make(untyped(42))],
  [
    "ClientIdentity.layer(undefined)",
    () => Layer.build(ClientIdentity.layer(untyped(undefined))).pipe(Effect.scoped)
  ],
  [
    "ClientIdentity: a numeric product",
    () => ClientIdentity.make(untyped({ clientIdentifier: "c", product: 42 }))
  ],
  ["ClientIdentity: a 1 MB product", () => ClientIdentity.make({ clientIdentifier: "c", product: big(MB) })],
  [
    "ClientIdentity: a 1 MB client identifier",
    () => ClientIdentity.make({ clientIdentifier: big(MB), product: "p" })
  ],
  ["Credentials.make(undefined)", () => Credentials.make(untyped(undefined))],
  ["Credentials.make(42)", () => Credentials.make(untyped(42))],
  ["Credentials: a 1 MB token", () => Credentials.make(big(MB))],
  ["postUsersSignInData(undefined)", () => PlexAuth.postUsersSignInData(untyped(undefined))],
  [
    "postUsersSignInData: a numeric login",
    () => PlexAuth.postUsersSignInData(untyped({ login: 42, password: "p" }))
  ],
  [
    "postUsersSignInData: a 1 MB login",
    () => PlexAuth.postUsersSignInData({ login: big(MB), password: "p" })
  ],
  [
    "postUsersSignInData: a 1 MB password",
    () => PlexAuth.postUsersSignInData({ login: "alice", password: big(MB) })
  ],
  ["PlexServer.make(undefined)", () => PlexServer.make(untyped(undefined))],
  ["PlexServer.fromParts(null)", () => PlexServer.fromParts(untyped(null))],
  ["PlexServer.fromParts: ip evil.com\\x", () => PlexServer.fromParts({ ip: "evil.com\\x" })],
  ["PlexServer.fromParts: ip evil.com/x", () => PlexServer.fromParts({ ip: "evil.com/x" })],
  ["PlexServer.fromParts: ip user@evil.com", () => PlexServer.fromParts({ ip: "user@evil.com" })],
  ["PlexServer.fromParts: ip with a port", () => PlexServer.fromParts({ ip: "evil.com:80" })],
  ["PlexServer.fromParts: ip with a percent", () => PlexServer.fromParts({ ip: "evil%2ecom" })],
  ["PlexServer.fromParts: a numeric ip", () => PlexServer.fromParts(untyped({ ip: 42 }))],
  ["PlexServer.fromParts: protocol ftp", () => PlexServer.fromParts(untyped({ protocol: "ftp" }))],
  ["PlexServer.fromParts: port 1e3", () => PlexServer.fromParts(untyped({ port: "1e3" }))],
  ["PlexServer.withUrl(42)", () => PlexServer.withUrl(Effect.void, untyped(42))],
  // The URL parser would drop a line break or tab inside a URL (another URL), and encode a NUL.
  ["PlexServer.make: a line feed in the host", () => PlexServer.make("http://plex.lo\ncal:32400")],
  ["PlexServer.make: a tab in the path", () => PlexServer.make("http://127.0.0.1:32400/pre\tfix")],
  ["PlexServer.make: a NUL in the path", () => PlexServer.make("http://127.0.0.1:32400/pre\u0000fix")],
  ["PlexTv.withUrl: a carriage return", () => PlexTv.withUrl(Effect.void, "https://plex\r.tv")],
  ["PlexTv.withUrl(undefined)", () => PlexTv.withUrl(Effect.void, untyped(undefined))],
  ["Resources.connect(undefined)", () => Resources.connect(untyped(undefined))],
  [
    "Resources.connect(server, null)",
    () => Resources.connect(untyped({ name: "x", connections: [] }), untyped(null))
  ],
  ["withRequestTimeout(NaN)", () => PlexAuth.withRequestTimeout(Effect.void, NaN)],
  ["withRequestTimeout(-1)", () => PlexAuth.withRequestTimeout(Effect.void, -1)],
  ["withRequestTimeout(0)", () => PlexAuth.withRequestTimeout(Effect.void, 0)],
  ["withRequestTimeout(Infinity)", () => PlexAuth.withRequestTimeout(Effect.void, Infinity)],
  ['withRequestTimeout("-5 seconds")', () => PlexAuth.withRequestTimeout(Effect.void, untyped("-5 seconds"))],
  ['withRequestTimeout("soon")', () => PlexAuth.withRequestTimeout(Effect.void, untyped("soon"))],
  ["withRequestTimeout(undefined)", () => PlexAuth.withRequestTimeout(Effect.void, untyped(undefined))]
]

/** The failure's tag, or a description of a defect or a success. */
const outcome = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isSuccess(exit)
    ? "success"
    : Option.match(Cause.findErrorOption(exit.cause), {
        onNone: () => `defect: ${Cause.pretty(exit.cause).split("\n")[0]}`,
        onSome: (error) => (error as { readonly _tag?: string })._tag ?? String(error)
      })

describe("bad input fails with InvalidInput before any request", () => {
  it.effect("every entry of the table", () =>
    Effect.gen(function* () {
      for (const [name, effect] of cases) {
        const exit = yield* Effect.exit(Effect.suspend(effect))
        assert.strictEqual(outcome(exit), "InvalidInput", name)
      }
      assert.deepStrictEqual(yield* FakePlex.requests, [], "no request was sent")
    }).pipe(Effect.provide(Env))
  )

  it.effect("values at the limits are accepted", () =>
    Effect.gen(function* () {
      yield* ClientIdentity.make({ clientIdentifier: big(1024), product: big(1024) })
      yield* Credentials.make(big(8192))
      yield* PlexAuth.withRequestTimeout(Effect.void, "5 seconds")
      yield* PlexAuth.withRequestTimeout(Effect.void, 1)
      // Spaces and line breaks around a URL (a `.env` line) are dropped.
      assert.strictEqual(
        (yield* PlexServer.make(" http://127.0.0.1:32400/prefix\n")).url,
        "http://127.0.0.1:32400/prefix"
      )
      for (const ip of [
        "192.168.1.10",
        "plex.local",
        "192-168-1-10.0123abcd.plex.direct",
        "::1",
        "[fe80::1]",
        "NAS"
      ]) {
        const server = yield* PlexServer.fromParts({ ip, port: "32400" })
        assert.isTrue(server.url.startsWith("http://"), ip)
      }
    })
  )

  /** Values untyped JavaScript may pass anywhere. */
  const anything: ReadonlyArray<unknown> = [
    undefined,
    null,
    0,
    -1,
    32400,
    65536,
    1.5,
    NaN,
    Infinity,
    true,
    "",
    " ",
    "32400",
    "http",
    "https",
    "ftp",
    "a\r\nb",
    "\u0000",
    "x".repeat(5000),
    "192.168.1.10",
    "[::1]",
    "user:pass@host",
    "host/path?q#f",
    [],
    [1, 2],
    {},
    { toString: () => "host" },
    Symbol("s"),
    () => "host",
    BigInt(1)
  ]

  it.effect("property: any value in any field is a valid server or InvalidInput, never a defect", () =>
    Effect.sync(() => {
      const fields = ["ip", "port", "protocol"] as const
      let runs = 0
      for (const ip of [...anything, "absent"]) {
        for (const port of [...anything, "absent"]) {
          for (const protocol of [undefined, "http", "https", 42, "gopher", "absent"]) {
            const parts: Record<string, unknown> = {}
            for (const [field, value] of [
              [fields[0], ip],
              [fields[1], port],
              [fields[2], protocol]
            ] as const) {
              if (value !== "absent") parts[field] = value
            }
            const exit = Effect.runSyncExit(PlexServer.fromParts(untyped(parts)))
            assert.isTrue(
              Exit.isSuccess(exit) || outcome(exit) === "InvalidInput",
              String(Object.keys(parts))
            )
            runs++
          }
        }
      }
      assert.isAbove(runs, 1000)
    })
  )

  it.effect("property: a host that is accepted is exactly the URL's host", () =>
    Effect.sync(() => {
      const hosts = [
        ...anything.filter((value): value is string => typeof value === "string"),
        "plex.local",
        "Example.COM",
        "xn--bcher-kva.example",
        "bücher.example",
        "a-b.c-d.example",
        "0123abcd.plex.direct",
        "10.0.0.1",
        "255.255.255.255",
        "256.1.1.1",
        "1.2.3",
        "::",
        "::1",
        "fe80::1",
        "[fe80::1]",
        "2001:db8::8a2e:370:7334",
        "::ffff:192.0.2.1",
        "http://example.com",
        "https://example.com:8443/path",
        "example.com:80",
        "exa mple.com",
        "example.com.",
        "%41.example",
        "\\host",
        "host\\x"
      ]
      for (const ip of hosts) {
        const exit = Effect.runSyncExit(PlexServer.fromParts({ ip }))
        if (Exit.isFailure(exit)) {
          assert.strictEqual(outcome(exit), "InvalidInput", ip)
          continue
        }
        const url = new URL(exit.value.url)
        const expected = ip.includes(":") ? `[${ip.replace(/^\[|\]$/g, "")}]` : ip
        assert.strictEqual(url.port, "32400", ip)
        assert.strictEqual(url.pathname, "/", ip)
        assert.strictEqual(url.username, "", ip)
        assert.isTrue(
          url.hostname === expected.toLowerCase() || url.hostname === new URL(`http://${expected}/`).hostname,
          ip
        )
      }
    })
  )
})

describe("a ClientIdentity of the caller's own making", () => {
  // A `ClientIdentity` service built by hand (`Context.make`, `Layer.succeed`) is not checked by
  // `ClientIdentity.make`: the engine checks the headers it sends, as `ClientIdentity.make` makes them. Before, a line
  // break or text not encoded as bytes reached fetch, whose TypeError read as a NetworkError (Transport, which a retry
  // policy repeats), and an identity without headers reached plex.tv, which answered 400.
  const good = Effect.runSync(ClientIdentity.make(FakePlex.testIdentity))
  const withHeader = (name: string, value: unknown) => ({
    ...good,
    headers: { ...good.headers, [name]: value }
  })
  const malformed: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    [
      "a line feed in a value",
      withHeader("X-Plex-Device-Name", "box\nname"),
      /ClientIdentity x-plex-device-name: cannot be sent/
    ],
    [
      "CR LF in a value",
      withHeader("X-Plex-Product", "p\r\nX-Evil: 1"),
      /ClientIdentity x-plex-product: cannot be sent/
    ],
    [
      "a NUL in a value",
      withHeader("X-Plex-Version", "1\u00002"),
      /ClientIdentity x-plex-version: cannot be sent/
    ],
    [
      "text not encoded as bytes",
      withHeader("X-Plex-Device-Name", "Café ☕"),
      /ClientIdentity x-plex-device-name: cannot be sent/
    ],
    [
      "a value that is not a string",
      withHeader("X-Plex-Version", 2),
      /ClientIdentity x-plex-version: cannot be sent/
    ],
    [
      "a name that is no header name",
      withHeader("X Plex Device", "box"),
      /ClientIdentity x plex device: cannot be sent/
    ],
    [
      "an empty identifier",
      withHeader("X-Plex-Client-Identifier", ""),
      /ClientIdentity x-plex-client-identifier: cannot be sent/
    ],
    [
      "no headers at all (the input fields only)",
      { ...FakePlex.testIdentity },
      /ClientIdentity x-plex-client-identifier: cannot be sent/
    ],
    [
      "no identity headers",
      { ...good, headers: {} },
      /ClientIdentity x-plex-client-identifier: cannot be sent/
    ]
  ]
  const operations: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, any>]> = [
    [
      "PlexAuth.getTokenDetails",
      PlexAuth.getTokenDetails().pipe(Credentials.withToken(FakePlex.defaults.token))
    ],
    ["PinLogin.create", PinLogin.create()],
    ["Jwt.getNonce", Jwt.getNonce()],
    // Its headers go with each request of the client it makes: checked when it is made.
    [
      "ServerClient.make",
      ServerClient.make({
        uri: FakePlex.defaults.serverUrl,
        token: FakePlex.defaults.token
      })
    ]
  ]

  it.effect("fails with InvalidInput naming the header, never its value, and sends nothing", () =>
    Effect.gen(function* () {
      for (const [name, service, reason] of malformed) {
        for (const [operation, run] of operations) {
          const error = yield* Effect.flip(
            run.pipe(Effect.provideService(ClientIdentity.ClientIdentity, untyped(service)))
          )
          assert.instanceOf(error, PlexError.InvalidInput, `${operation}, ${name}`)
          const invalid = error as PlexError.InvalidInput
          assert.strictEqual(invalid.operation, operation, name)
          assert.match(invalid.message, reason, `${operation}, ${name}`)
          for (const value of ["box\nname", "X-Evil", "Café"]) assert.notInclude(invalid.message, value, name)
        }
      }
      assert.deepStrictEqual(yield* FakePlex.requests, [], "no request was sent")
    }).pipe(Effect.provide(Env))
  )

  it.effect("one whose header names are in lower case is sent (header names are case-insensitive)", () =>
    Effect.gen(function* () {
      const lower = {
        ...good,
        headers: Object.fromEntries(
          Object.entries(good.headers).map(([name, value]) => [name.toLowerCase(), value])
        )
      }
      yield* PlexAuth.getTokenDetails().pipe(
        Credentials.withToken(FakePlex.defaults.token),
        Effect.provideService(ClientIdentity.ClientIdentity, lower)
      )
      yield* ServerClient.make({ uri: FakePlex.defaults.serverUrl, token: FakePlex.defaults.token }).pipe(
        Effect.provideService(ClientIdentity.ClientIdentity, lower)
      )
      const [sent] = yield* FakePlex.requests
      assert.strictEqual(sent?.status, 200)
    }).pipe(Effect.provide(Env))
  )

  it.effect("one whose headers could have come from ClientIdentity.make is sent as it is", () =>
    Effect.gen(function* () {
      const own = { ...good, headers: { ...good.headers, "X-Plex-Device-Name": "Caf\u00c3\u00a9 box" } }
      yield* PlexAuth.getTokenDetails().pipe(
        Credentials.withToken(FakePlex.defaults.token),
        Effect.provideService(ClientIdentity.ClientIdentity, own)
      )
      const [sent] = yield* FakePlex.requests
      assert.strictEqual(sent?.status, 200)
    }).pipe(Effect.provide(Env))
  )
})

describe("a token from Credentials of the caller's own making", () => {
  // A `Credentials` service built by hand (say, reading a token file each time) is not checked by
  // `Credentials.make`: the engine checks the token it is given, as `Credentials.make` would.
  const malformed: ReadonlyArray<readonly [string, unknown]> = [
    ["a trailing line feed", Redacted.make("tok-0123456789\n")],
    ["a carriage return", Redacted.make("tok-01234\r56789")],
    ["a NUL", Redacted.make("tok-01234\u000056789")],
    ["a Latin-1 letter", Redacted.make("tok-01234é56789")],
    ["a character past Latin-1", Redacted.make("tok-01234€56789")],
    ["spaces around it", Redacted.make(" tok-0123456789 ")],
    ["an empty token", Redacted.make("")],
    ["a plain string (untyped JavaScript)", "tok-0123456789"]
  ]
  const own = (token: unknown, refresh?: () => Effect.Effect<Redacted.Redacted<string>>) =>
    Layer.succeed(Credentials.Credentials, {
      token: Effect.succeed(untyped<Redacted.Redacted<string>>(token)),
      refresh
    })
  const assertInvalidToken = (error: unknown, token: unknown, name: string) => {
    assert.instanceOf(error, PlexError.InvalidInput, name)
    const invalid = error as PlexError.InvalidInput
    assert.strictEqual(invalid.operation, "PlexAuth.getTokenDetails", name)
    assert.strictEqual(invalid.field, "token", name)
    const raw = Redacted.isRedacted(token)
      ? Redacted.value(token as Redacted.Redacted<string>)
      : String(token)
    const shown = `${invalid.message} ${JSON.stringify(invalid)} ${String(invalid)}`
    if (raw.trim() !== "") assert.notInclude(shown, raw.trim(), name)
  }

  it.effect("fails with InvalidInput naming the token, never its value, and sends nothing", () =>
    Effect.gen(function* () {
      for (const [name, token] of malformed) {
        const error = yield* Effect.flip(PlexAuth.getTokenDetails().pipe(Effect.provide(own(token))))
        assertInvalidToken(error, token, name)
      }
      assert.deepStrictEqual(yield* FakePlex.requests, [], "no request was sent")
    }).pipe(Effect.provide(Env))
  )

  it.effect("a malformed token its refresh gives is InvalidInput too, not sent", () =>
    Effect.gen(function* () {
      for (const [name, token] of malformed) {
        const before = (yield* FakePlex.requests).length
        const error = yield* Effect.flip(
          PlexAuth.getTokenDetails().pipe(
            Effect.provide(
              own(Redacted.make("refused-0123456789"), () =>
                Effect.succeed(untyped<Redacted.Redacted<string>>(token))
              )
            )
          )
        )
        assertInvalidToken(error, token, name)
        // Only the refused request: the refreshed token was not sent.
        assert.strictEqual((yield* FakePlex.requests).length - before, 1, name)
      }
    }).pipe(Effect.provide(Env))
  )

  it.effect("Credentials.validate calls it Invalid (never Unknown: keep the token), sending nothing", () =>
    Effect.gen(function* () {
      const validity = yield* Credentials.validate.pipe(
        Effect.provide(own(Redacted.make("tok-0123456789\n")))
      )
      assert.strictEqual(validity._tag, "Invalid")
      if (validity._tag === "Invalid") assert.strictEqual(validity.error._tag, "InvalidInput")
      assert.deepStrictEqual(yield* FakePlex.requests, [], "no request was sent")
    }).pipe(Effect.provide(Env))
  )

  it.effect(
    "Resources.connect with it (a server without its own token) fails before any probe, a plain string too",
    () =>
      Effect.gen(function* () {
        const [server] = yield* Resources.servers().pipe(Credentials.withToken(FakePlex.defaults.token))
        assert.isDefined(server)
        const { accessToken: _, ...withoutToken } = server!
        const before = (yield* FakePlex.requests).length
        // Every malformed token, and a plain string as every other operation refuses it (not made Redacted).
        for (const [name, token] of malformed) {
          const error = yield* Effect.flip(Resources.connect(withoutToken).pipe(Effect.provide(own(token))))
          assert.instanceOf(error, PlexError.InvalidInput, name)
          const invalid = error as PlexError.InvalidInput
          assert.deepStrictEqual([invalid.operation, invalid.field], ["Resources.connect", "token"], name)
        }
        assert.strictEqual((yield* FakePlex.requests).length, before, "no probe was sent")
      }).pipe(Effect.provide(Env))
  )
})

describe("a wiped Redacted", () => {
  // `Redacted.wipeUnsafe` deletes what a `Redacted` holds, and `Redacted.value` then throws ("Unable to get redacted
  // value"). Given as a secret it was that defect; it is InvalidInput naming the input (never a value), before any
  // request, wherever a secret is taken.
  const wipedOf = <A>(value: A): Redacted.Redacted<A> => {
    const secret = Redacted.make(value)
    Redacted.wipeUnsafe(secret)
    return secret
  }
  const wiped = () => wipedOf("wiped-s3cret-0123456789")
  const own = () => Layer.succeed(Credentials.Credentials, { token: Effect.sync(wiped) })
  const connection = () => ({ uri: FakePlex.defaults.serverUrl, token: wiped() })
  /** Each operation, the input it names, and the reason (`was wiped`, after what a key pair names). */
  const cases: ReadonlyArray<readonly [string, string, string, () => Effect.Effect<unknown, unknown, any>]> =
    [
      [
        "PlexAuth.postUsersSignInData",
        "password",
        "was wiped",
        () => PlexAuth.postUsersSignInData({ login: "alice", password: wiped() })
      ],
      [
        "PlexAuth.postUsersSignInData",
        "verificationCode",
        "was wiped",
        () => PlexAuth.postUsersSignInData({ login: "alice", password: "pw", verificationCode: wiped() })
      ],
      ["Credentials", "token", "was wiped", () => Credentials.make(wiped())],
      [
        "PlexAuth.getTokenDetails",
        "token",
        "was wiped",
        // A `Credentials` service of the caller's own making whose token was wiped: the engine's check.
        () => PlexAuth.getTokenDetails().pipe(Effect.provide(own()))
      ],
      ["ServerClient.make", "token", "was wiped", () => ServerClient.make(connection())],
      [
        "ServerClient.mediaUrlWithToken",
        "token",
        "was wiped",
        () => Effect.try({ try: () => ServerClient.mediaUrlWithToken(connection(), "/a"), catch: (e) => e })
      ],
      ["Jwt.decode", "token", "was wiped", () => Jwt.decode(wiped())],
      ["Jwt.importKey", "key", "was wiped", () => Jwt.importKey(wiped())],
      [
        "Jwt.importKey",
        "key",
        "privateKey was wiped",
        () => Jwt.importKey({ privateKey: wipedOf(new Uint8Array(32)), publicKey: new Uint8Array(32) })
      ],
      ["PinLogin.check", "deviceJwt", "was wiped", () => PinLogin.check({ id: 1 }, { deviceJwt: wiped() })],
      [
        "Resources.connect",
        "accessToken",
        "was wiped",
        () =>
          Resources.connect(
            untyped({ name: "x", clientIdentifier: "c0ffee", connections: [], accessToken: wiped() })
          )
      ],
      [
        "Claim.claimServer",
        "claimToken",
        "was wiped",
        () => Claim.claimServer(FakePlex.defaults.serverUrl, { claimToken: wiped() })
      ],
      [
        "ServerAccess.check",
        "token",
        "was wiped",
        () =>
          Effect.scoped(
            Effect.flatMap(ServerAccess.makeChecker("0".repeat(40), { ttl: "1 minute" }), (checker) =>
              checker.check(wiped())
            )
          )
      ],
      ["Home.switchUser", "pin", "was wiped", () => Home.switchUser("Kids", { pin: wiped() })]
    ]

  it.effect("is InvalidInput naming the input, never a defect, and sends nothing", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      for (const [operation, field, , run] of cases) {
        const exit = yield* Effect.exit(
          Effect.suspend(run).pipe(Credentials.withToken(FakePlex.defaults.token))
        )
        const error = Exit.isFailure(exit)
          ? Option.getOrUndefined(Cause.findErrorOption(exit.cause))
          : undefined
        seen.push(
          error instanceof PlexError.InvalidInput
            ? `${error.operation}: invalid ${error.field}: ${error.reason}`
            : `${operation} ${field}: ${outcome(exit)}`
        )
      }
      // All at once: each case that is not InvalidInput shows what it was (a defect before the fix).
      assert.deepStrictEqual(
        seen,
        cases.map(([operation, field, reason]) => `${operation}: invalid ${field}: ${reason}`)
      )
      assert.deepStrictEqual(yield* FakePlex.requests, [], "no request was sent")
    }).pipe(Effect.provide(Env))
  )

  it.effect("a token wiped after ServerClient.make: the client sends its own copy, never a defect", () =>
    Effect.gen(function* () {
      // The client read the token once, as it was made: each request used to read the caller's Redacted again, and
      // once wiped `Redacted.value` threw in every request (a defect).
      const token = Redacted.make(Redacted.value(FakePlex.defaults.token))
      const client = yield* ServerClient.make({ uri: FakePlex.defaults.serverUrl, token })
      Redacted.wipeUnsafe(token)
      const response = yield* client.get("/identity")
      assert.strictEqual(response.status, 200)
      const sent = (yield* FakePlex.requests).at(-1)?.headers["x-plex-token"]
      assert.strictEqual(sent && Redacted.value(sent), Redacted.value(FakePlex.defaults.token))
    }).pipe(Effect.provide(Env))
  )

  it.effect("a token wiped after Jwt.makeCredentials took it: it keeps its own copy, never a defect", () =>
    Effect.gen(function* () {
      // Jwt.makeCredentials read the caller's Redacted again at each token read (the token's expiry): once the
      // caller wiped it, every read of the token was a defect. It keeps the copy it made when it took the token.
      const raw = Redacted.value(FakePlex.defaults.token)
      const key = yield* Jwt.generateKey
      const takers: ReadonlyArray<
        readonly [
          string,
          (token: Redacted.Redacted<string>) => Effect.Effect<Credentials.CredentialsService, unknown, any>
        ]
      > = [
        ["token", (token) => Jwt.makeCredentials({ key, token })],
        ["obtain", (token) => Jwt.makeCredentials({ key, obtain: Effect.succeed(token) })]
      ]
      const seen: Array<string> = []
      for (const [name, take] of takers) {
        const token = Redacted.make(raw)
        const credentials = yield* take(token)
        Redacted.wipeUnsafe(token)
        const exit = yield* Effect.exit(Effect.map(credentials.token, Redacted.value))
        seen.push(
          `${name}: ${Exit.isSuccess(exit) ? (exit.value === raw ? "the token" : "another value") : outcome(exit)}`
        )
        // And the operations send it.
        yield* PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
      }
      assert.deepStrictEqual(
        seen,
        takers.map(([name]) => `${name}: the token`)
      )
      // Credentials.make keeps a Redacted as it is given (test/Credentials.test.ts): wiped, the next operation's
      // check of the token refuses it, as InvalidInput, no defect either.
      const token = Redacted.make(raw)
      const credentials = yield* Credentials.make(token)
      Redacted.wipeUnsafe(token)
      const error = yield* Effect.flip(
        PlexAuth.getTokenDetails().pipe(Effect.provideService(Credentials.Credentials, credentials))
      )
      assert.strictEqual(
        error instanceof PlexError.InvalidInput ? `${error.field}: ${error.reason}` : String(error),
        "token: was wiped"
      )
    }).pipe(Effect.provide(Env), Effect.scoped)
  )

  it.effect("a token wiped while ServerAccess checks it, the check then left: no defect", () =>
    Effect.gen(function* () {
      // The checker's cache read the caller's Redacted again when the last caller left a check in flight: once wiped,
      // that interruption was a defect. It keys its own copy.
      const checker = yield* ServerAccess.makeChecker("0".repeat(40), { ttl: "1 minute" })
      yield* FakePlex.fault("getServerResources", Fault.hang)
      const token = Redacted.make(Redacted.value(FakePlex.defaults.token))
      const fiber = yield* Effect.forkChild(checker.check(token))
      while ((yield* FakePlex.requests).length === 0) yield* Effect.yieldNow
      Redacted.wipeUnsafe(token)
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause), outcome(exit))
    }).pipe(Effect.provide(Env), Effect.scoped)
  )

  it.effect(
    "a token wiped after ServerAccess checked it: the same token given again is still answered from the cache",
    () =>
      Effect.gen(function* () {
        // The Effect 4 checker's cache kept the caller's Redacted as its key: once wiped, it no longer equalled the
        // same token given again, and plex.tv was asked anew. It keys its own copy (Effect 3's keys the token's text).
        const checker = yield* ServerAccess.makeChecker(FakePlex.defaults.serverId, { ttl: "1 minute" })
        const raw = Redacted.value(FakePlex.defaults.token)
        const token = Redacted.make(raw)
        const first = yield* checker.check(token)
        const asked = (yield* FakePlex.requests).length
        Redacted.wipeUnsafe(token)
        assert.deepStrictEqual(yield* checker.check(Redacted.make(raw)), first)
        assert.strictEqual((yield* FakePlex.requests).length, asked, "plex.tv was not asked again")
      }).pipe(Effect.provide(Env), Effect.scoped)
  )

  it.effect("a token wiped while Jwt.verify fetches plex.tv's keys: a typed error, never a defect", () =>
    Effect.gen(function* () {
      // Jwt.verify read the caller's Redacted once the keys came: wiped meanwhile, that was a defect. It reads its own
      // copy (here an opaque token, not a JWT: InvalidJwt).
      const key = yield* Jwt.generateKey
      yield* FakePlex.fault("getJwks", Fault.delay("1 second"))
      const token = Redacted.make(Redacted.value(FakePlex.defaults.token))
      const fiber = yield* Effect.forkChild(Jwt.verify(token, key))
      while ((yield* FakePlex.requests).length === 0) yield* Effect.yieldNow
      Redacted.wipeUnsafe(token)
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(fiber)
      assert.strictEqual(outcome(exit), "InvalidJwt")
    }).pipe(Effect.provide(Env), Effect.scoped)
  )
})
