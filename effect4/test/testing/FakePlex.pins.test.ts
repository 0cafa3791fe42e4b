import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PinLogin from "effect4-plex-auth/PinLogin"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import { FakePlex } from "effect4-plex-auth/testing"
import { CLIENT_ID, exchange } from "./support.js"

const layer = FakePlex.layerSignedIn({ accounts: [{}, { username: "bob" }] })

const createPin = (query: string) =>
  Effect.flatMap(Effect.service(FakePlex.FakePlex), (fake) =>
    exchange(`${fake.plexTvUrl}/api/v2/pins${query}`, {
      method: "POST",
      headers: { "X-Plex-Product": "Pin Test" }
    })
  )

const checkPin = (id: number, clientId: string = CLIENT_ID) =>
  Effect.flatMap(Effect.service(FakePlex.FakePlex), (fake) =>
    exchange(`${fake.plexTvUrl}/api/v2/pins/${id}`, { clientId })
  )

describe("FakePlex PINs", () => {
  it.effect("codes follow the Random of the Effect that built the fake: one seed, the same codes", () =>
    Effect.gen(function* () {
      const codes = Effect.gen(function* () {
        const fake = yield* FakePlex.make()
        const strong = yield* Effect.orDie(
          fake.handle(
            new Request(`${fake.plexTvUrl}/api/v2/pins?strong=true`, {
              method: "POST",
              headers: { "X-Plex-Client-Identifier": CLIENT_ID, Accept: "application/json" }
            })
          )
        )
        return ((yield* Effect.promise(() => strong.json())) as { code: string }).code
      })
      const first = yield* codes.pipe(Random.withSeed("fake-seed"))
      const again = yield* codes.pipe(Random.withSeed("fake-seed"))
      const other = yield* codes.pipe(Random.withSeed("another-seed"))
      assert.match(first, /^[a-z0-9]{25}$/)
      assert.strictEqual(again, first)
      assert.notStrictEqual(other, first)
    })
  )

  it.effect(
    "the fake draws from that Random once, when built: what it mints later leaves the program's draws alone",
    () =>
      Effect.gen(function* () {
        const drawAfter = (mints: number) =>
          Effect.gen(function* () {
            const fake = yield* FakePlex.make()
            for (let i = 0; i < mints; i++) yield* Effect.orDie(fake.mintToken())
            return yield* Random.next
          }).pipe(Random.withSeed("fake-seed"))
        assert.strictEqual(yield* drawAfter(3), yield* drawAfter(0))
      })
  )

  it.effect("a strong PIN: 201, a long code, 30 minutes, no token yet", () =>
    Effect.gen(function* () {
      const created = yield* createPin("?strong=true")
      assert.strictEqual(created.status, 201)
      const pin = created.json()
      assert.match(pin.code, /^[a-z0-9]{25}$/)
      assert.strictEqual(pin.expiresIn, 1800)
      assert.strictEqual(pin.authToken, null)
      assert.strictEqual(pin.clientIdentifier, CLIENT_ID)
      assert.strictEqual(pin.product, "Pin Test")
      assert.strictEqual(pin.trusted, false)
      assert.strictEqual(pin.createdAt, "1970-01-01T00:00:00Z")
      assert.strictEqual(pin.expiresAt, "1970-01-01T00:30:00Z")
      assert.strictEqual(pin.qr, `https://plex.tv/api/v2/pins/qr/${pin.code}`)
      assert.isObject(pin.location)
    }).pipe(Effect.provide(layer))
  )

  it.effect("a short PIN: a four-character code that lives 15 minutes", () =>
    Effect.gen(function* () {
      const pin = (yield* createPin("")).json()
      assert.match(pin.code, /^[A-Z0-9]{4}$/)
      assert.strictEqual(pin.expiresIn, 900)
      const fake = yield* FakePlex.FakePlex
      const pins = yield* fake.pins
      assert.deepStrictEqual(
        pins.map((p) => [p.id, p.strong, p.expired]),
        [[pin.id, false, false]]
      )
    }).pipe(Effect.provide(layer))
  )

  it.effect("approving a PIN (by id) gives it a new token of the approving account", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const pin = (yield* createPin("?strong=true")).json()
      assert.strictEqual((yield* checkPin(pin.id)).json().authToken, null)
      const token = yield* fake.approvePin(pin.id)
      const checked = (yield* checkPin(pin.id)).json()
      assert.strictEqual(checked.authToken, Redacted.value(token))
      const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(checked.authToken))
      assert.strictEqual(account.username, "alice")
      const [listed] = yield* fake.pins
      assert.strictEqual(listed?.accountId, fake.accounts[0]!.id)
    }).pipe(Effect.provide(layer))
  )

  it.effect("a PIN can be approved by its code, for another account", () =>
    Effect.gen(function* () {
      const pin = (yield* createPin("")).json()
      const token = yield* FakePlex.approvePin(pin.code.toLowerCase(), { account: "bob" })
      const account = yield* PlexAuth.getTokenDetails().pipe(Credentials.withToken(token))
      assert.strictEqual(account.username, "bob")
    }).pipe(Effect.provide(layer))
  )

  it.effect(
    "expiresIn counts down with the clock; an expired PIN is 404, code 1020, and cannot be approved",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakePlex.FakePlex
        const pin = (yield* createPin("")).json()
        yield* TestClock.adjust("1 minute")
        assert.strictEqual((yield* checkPin(pin.id)).json().expiresIn, 840)
        yield* TestClock.adjust("14 minutes")
        const expired = yield* checkPin(pin.id)
        assert.strictEqual(expired.status, 404)
        assert.deepStrictEqual(expired.json(), {
          errors: [{ code: 1020, message: "Code not found or expired", status: 404 }]
        })
        const refused = yield* Effect.flip(fake.approvePin(pin.id))
        assert.strictEqual(refused._tag, "FakePlexError")
        assert.isTrue((yield* fake.pins)[0]?.expired)
      }).pipe(Effect.provide(layer))
  )

  it.effect("an unknown PIN, or one asked for by another client, is 404, code 1020", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const pin = (yield* createPin("")).json()
      assert.strictEqual((yield* checkPin(pin.id + 1000)).status, 404)
      const other = yield* checkPin(pin.id, "another-client")
      assert.strictEqual(other.status, 404)
      assert.strictEqual(other.json().errors[0].code, 1020)
      const unknown = yield* Effect.flip(fake.approvePin(123))
      assert.include(unknown.message, "123")
    }).pipe(Effect.provide(layer))
  )

  it.effect(
    "approvePin refused: says what the test did wrong and what the fake has, never a PIN's code",
    () =>
      Effect.gen(function* () {
        // The usual mistake: approving before the client created its PIN (a login forked and not yet run).
        const early = yield* Effect.flip(FakePlex.approvePin(1))
        assert.strictEqual(
          early.message,
          "approvePin: no PIN with the id 1 (the fake has created no PIN yet: approve a PIN once the client has created it, from onPin say)"
        )
        const first = (yield* createPin("")).json()
        const second = (yield* createPin("")).json()
        const wrongId = yield* Effect.flip(FakePlex.approvePin(second.id + 1))
        assert.strictEqual(
          wrongId.message,
          `approvePin: no PIN with the id ${second.id + 1} (the PINs: ${first.id}, ${second.id})`
        )
        const wrongCode = yield* Effect.flip(FakePlex.approvePin("notAcode"))
        assert.strictEqual(
          wrongCode.message,
          `approvePin: no PIN with the code given (the PINs: ${first.id}, ${second.id})`
        )
        assert.notInclude(wrongCode.message, "notAcode")
        const nobody = yield* Effect.flip(FakePlex.approvePin(first.id, { account: "zed" }))
        assert.strictEqual(
          nobody.message,
          "approvePin: no account with the login zed (the accounts: alice, bob)"
        )
        // An expired PIN approved by its code: named by its id, not its code.
        yield* TestClock.adjust("16 minutes")
        const expired = yield* Effect.flip(FakePlex.approvePin(first.code))
        assert.strictEqual(expired.message, `approvePin: the PIN ${first.id} has expired`)
        assert.notInclude(expired.message, first.code)
      }).pipe(Effect.provide(layer))
  )

  it.effect("custom lifetimes, and XML when JSON is not asked for", () =>
    Effect.gen(function* () {
      const fake = yield* FakePlex.FakePlex
      const created = yield* exchange(`${fake.plexTvUrl}/api/v2/pins?strong=1`, {
        method: "POST",
        accept: null
      })
      assert.match(created.text, /<pin id="\d+" code="[a-z0-9]{25}" product="" trusted="0"/)
      assert.include(created.text, 'expiresIn="120"')
    }).pipe(Effect.provide(FakePlex.layer({ pinLifetime: { strong: "2 minutes" } })))
  )
})

describe("FakePlex layers: a PIN login's link defaults to the fake's sign-in page", () => {
  /** The program's own ConfigProvider: a PLEX_AUTH_APP_URL of another page (as a shell may export), and a key of its own. */
  const programs = ConfigProvider.fromUnknown({
    PLEX_AUTH_APP_URL: "http://127.0.0.1:9/elsewhere",
    MY_APP_KEY: "kept"
  })
  const links = Effect.gen(function* () {
    const fake = yield* FakePlex.FakePlex
    const url = yield* PinLogin.authUrl({ code: "abcd" })
    assert.isTrue(url.startsWith(`${fake.authAppUrl}#?clientID=`), url)
    // An authAppUrl given still wins; the program's other keys read through.
    const given = yield* PinLogin.authUrl({ code: "abcd" }, { authAppUrl: "http://127.0.0.1:8/auth" })
    assert.isTrue(given.startsWith("http://127.0.0.1:8/auth#?clientID="), given)
    assert.strictEqual(yield* Config.String("MY_APP_KEY"), "kept")
  })

  it.effect(
    "FakePlex.layer and layerSignedIn: PinLogin.authUrl given no authAppUrl links to fake.authAppUrl",
    () =>
      Effect.gen(function* () {
        const identity = ClientIdentity.layer({ clientIdentifier: CLIENT_ID, product: "Pin Test" })
        yield* links.pipe(
          Effect.provide(Layer.merge(FakePlex.layer({ plexTvUrl: "http://127.0.0.1:7" }), identity)),
          Effect.provideService(ConfigProvider.ConfigProvider, programs)
        )
        yield* links.pipe(
          Effect.provide(FakePlex.layerSignedIn()),
          Effect.provideService(ConfigProvider.ConfigProvider, programs)
        )
      })
  )

  it.effect(
    "once the provide that built the layer has ended, the program reads its own PLEX_AUTH_APP_URL again",
    () =>
      Effect.gen(function* () {
        const identity = ClientIdentity.layer({ clientIdentifier: CLIENT_ID, product: "Pin Test" })
        const programsLink = PinLogin.authUrl({ code: "abcd" }).pipe(
          Effect.provide(identity),
          Effect.map((url) => url.startsWith("http://127.0.0.1:9/elsewhere#?clientID="))
        )
        // Layer.merge: Effect 3 kept a ConfigProvider such a layer set after the provide ended (src/testing/FakePlex.ts).
        const uses = [
          Layer.merge(FakePlex.layer(), identity),
          Layer.merge(identity, FakePlex.layer()),
          FakePlex.layerSignedIn()
        ] as const
        for (const [index, layer] of uses.entries()) {
          yield* Effect.provide(links, layer)
          assert.isTrue(yield* programsLink, `after use ${index}`)
        }
      }).pipe(Effect.provideService(ConfigProvider.ConfigProvider, programs))
  )
})
