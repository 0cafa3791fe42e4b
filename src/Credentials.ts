/**
 * The account token, held as `Redacted` and sent as `X-Plex-Token`.
 *
 * @since 0.1.0
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type { ClientIdentity } from "./ClientIdentity.js"
import * as PinLogin from "./PinLogin.js"
import * as Auth from "./core/auth.js"
import * as RefreshFacts from "./core/refresh.js"
import { obtainedTokenProblem, tokenRefusedBy } from "./core/refreshRun.js"
import * as CoreValidate from "./core/validate.js"
import * as PlexAuth from "./PlexAuth.js"
import type { GetTokenDetailsError, InvalidInput, SignInError, Unauthorized } from "./PlexError.js"
import type * as Schemas from "./Schemas.js"
import { Credentials } from "./internal/credentials.js"
import * as ObtainLease from "./internal/obtainLease.js"
import * as Refresh from "./internal/refresh.js"
import * as StoredSignOut from "./internal/storedSignOut.js"
import { signInAs } from "./internal/signIn.js"
import * as V from "./internal/validate.js"

/**
 * What a `Credentials` layer provides.
 *
 * @since 0.1.0
 * @category models
 */
export interface CredentialsService {
  /** The current token, `Redacted`. */
  readonly token: Effect.Effect<Redacted.Redacted<string>>
  /**
   * The token held now, never refreshed first and never waiting (`token`
   * waits for a refresh in flight, or due ahead of expiry). Absent: `token`.
   */
  readonly current?: Effect.Effect<Redacted.Redacted<string>> | undefined
  /**
   * The token once the refresh in flight, if any, has settled (even one
   * after a refusal, which `token` does not wait for); else the token held,
   * never refreshed first (not even one due ahead of its expiry): what
   * `PlexAuth.signOut` revokes, so that a quick re-authentication's new
   * token is revoked, not left valid. The sign-out waits for it no longer
   * than 5 seconds (or the per-attempt timeout, when shorter): then it
   * revokes `current` (absent: `token`, however long that waits), and
   * telling `signedOut` abandons the refresh.
   * Absent: `token`.
   */
  readonly settled?: Effect.Effect<Redacted.Redacted<string>> | undefined
  /**
   * Obtains a new token after `stale` was refused, when this layer can
   * (sign-in, PIN, JWT refresh). Concurrent callers holding the same stale
   * token share one refresh. Absent when the layer cannot re-authenticate.
   */
  readonly refresh?:
    | ((stale: Redacted.Redacted<string>) => Effect.Effect<Redacted.Redacted<string>, unknown>)
    | undefined
  /**
   * Told that `token` was signed out (plex.tv revoked it at the caller's
   * request, or refused it: already invalid): a layer that can
   * re-authenticate must not sign in again when that token is later
   * refused. Absent when there is nothing to remember. `PlexAuth.signOut`
   * runs it once plex.tv accepted the revoke (or refused the token:
   * `Unauthorized`, not a 403), in a fiber of its own started uninterruptible, and waits
   * for it interruptibly: a caller that goes away (its timeout) ends the wait
   * and interrupts that fiber, which stops only the regions `signedOut` makes
   * interruptible; the rest runs to its end. `revoke`, given by
   * `PlexAuth.signOut`, revokes another token at plex.tv (best effort: it
   * never fails, a failure is logged): a layer that re-authenticates revokes
   * with it the token a refresh of the signed-out token obtains (it is never
   * used nor stored), so no token stays valid and unheld. That revoke runs
   * to its end (closing the layer waits for it): a `revoke` of your own,
   * calling `signedOut` yourself, must bound itself (`PlexAuth.signOut`'s is
   * a request with the per-attempt timeout).
   */
  readonly signedOut?:
    | ((
        token: Redacted.Redacted<string>,
        revoke?: (token: Redacted.Redacted<string>) => Effect.Effect<void>
      ) => Effect.Effect<void>)
    | undefined
}

export {
  /**
   * The credentials service: the current token. Required by every operation
   * that acts for an account or on a server.
   *
   * @since 0.1.0
   * @category tags
   */
  Credentials
}

/**
 * Credentials from a token. A plain string is wrapped in `Redacted` at once;
 * an empty token or one with whitespace fails with `InvalidInput`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  token: string | Redacted.Redacted<string>
): Effect.Effect<CredentialsService, InvalidInput> =>
  Effect.map(V.token("Credentials", "token", token), (valid) => ({ token: Effect.succeed(valid) }))

/**
 * A layer from a token.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Credentials } from "effect-plex-auth"
 *
 * const CredentialsLive = Credentials.layer(Redacted.make("my-plex-token"))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (token: string | Redacted.Redacted<string>): Layer.Layer<Credentials, InvalidInput> =>
  Layer.effect(Credentials, make(token))

/**
 * A layer from `Config`, by default the `PLEX_TOKEN` environment variable
 * (read as `Redacted`). A malformed token (with whitespace, say) fails with
 * `InvalidInput` when the layer is built; read from `PLEX_TOKEN`, it names
 * the variable (`Credentials.layerConfig: invalid PLEX_TOKEN: ...`), never
 * the token. An empty `PLEX_TOKEN` counts as unset: Effect's missing-data
 * `ConfigError` at `PLEX_TOKEN`, saying what to set (`Expected PLEX_TOKEN to
 * be set: the Plex token of the account to act as ...`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  token?: Config.Config<Redacted.Redacted<string>>
): Layer.Layer<Credentials, InvalidInput | ConfigError.ConfigError> =>
  Layer.effect(
    Credentials,
    V.configured(
      "Credentials.layerConfig",
      token,
      V.requiredSecret("PLEX_TOKEN", CoreValidate.tokenMissing("PLEX_TOKEN")),
      { token: "PLEX_TOKEN" },
      make
    )
  )

/**
 * Why a re-authentication gave no new token: `obtain` failed (its error is
 * in `cause`), it handed back the very token that was refused (tried again
 * after the cooldown), a failed attempt for that token is still cooling
 * down, the token was signed out with `PlexAuth.signOut` (whoever signed
 * out stays signed out), or a token obtained by a refresh moments ago was
 * refused too (the server refuses fresh tokens: no new one is obtained for
 * the cooldown). Logged at Debug
 * level for each refused call (`re-authentication gave no new token: Failed
 * (NetworkError)`); the operation itself fails with its `Unauthorized`,
 * whose `reauthentication` carries the reason, and `reauthenticationError`
 * the tag of `cause` when it is one of this library's errors (else `"Other"`;
 * in a cooldown, `error`, that of the attempt that started it).
 *
 * @since 0.1.0
 * @category models
 */
export type RefreshFailed = Refresh.RefreshFailed

/**
 * Credentials that can re-authenticate: the token is `initial`, or obtained
 * with `obtain` when the credentials are made. When an operation's token is
 * refused (401), `obtain` runs again — once for all the callers that held
 * the refused token — and the operation is retried once with the new token.
 *
 * Re-authentication is bounded: when `obtain` fails, or hands back the same
 * token (a password sign-in does), every caller holding that token fails at
 * once with its `Unauthorized`, and no new attempt is made for `cooldown`
 * (default 1 minute) after either (then a refusal may try again: an
 * `obtain` reading a store another process updates may find a new token);
 * when a token obtained by a refresh less than `cooldown` ago is refused
 * too, the server refuses fresh tokens,
 * and nothing is obtained for `cooldown` either (its `Unauthorized` says so
 * with `reauthentication: "FreshTokenRefused"`). So a storm of 401s cannot
 * become a storm of sign-ins, PIN prompts or "too many failed sign-ins"
 * lockouts (Plex's 1031). Nor is a token refreshed after it was signed out
 * with `PlexAuth.signOut`: signing in again is the caller's call (with new
 * credentials). A `cooldown` that is not positive and finite fails with
 * `InvalidInput` before `obtain` runs, as do options that are not an object,
 * an `obtain` that is not an `Effect` and an `initial` that is not a
 * `Redacted` token. A token `obtain` gives is checked as {@link make} checks
 * one: one it refuses (empty, not a string, or with whitespace or control
 * characters, such as a token file's trailing newline) is never sent; it
 * fails the credentials with `InvalidInput` when they are made, and is no
 * new token (`reauthentication: "Failed"`) in a re-authentication.
 *
 * The refresh runs in its own fiber in the `Scope` the credentials are made
 * in (`Layer.scoped` gives it a layer's): a caller interrupted while it waits
 * stops waiting, and the refresh still completes, for the other callers and
 * the next call (a sign-in is never sent twice because its caller went
 * away). A sign-out during a refresh wins: its token is dropped. Closing the
 * scope interrupts a refresh in flight; after it, none starts (a refusal is
 * the server's `Unauthorized`, without `reauthentication`: none was tried).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRefreshing = <E, R>(options: {
  readonly initial?: Redacted.Redacted<string> | undefined
  readonly obtain: Effect.Effect<Redacted.Redacted<string>, E, R>
  readonly cooldown?: Duration.DurationInput | undefined
}): Effect.Effect<CredentialsService, E | InvalidInput, R | Scope.Scope> =>
  Effect.suspend((): Effect.Effect<CredentialsService, E | InvalidInput, R | Scope.Scope> => {
    // Bad input fails before `obtain` runs: options an object, `obtain` an Effect, `initial` a Redacted
    // token, and a cooldown positive and finite (zero would let a storm of 401s become a storm of sign-ins).
    const problem = RefreshFacts.refreshingProblem(options, {
      effect: Effect.isEffect,
      redactedProblem: V.redactedProblem,
      durationProblem: V.durationProblem
    })
    return problem === undefined
      ? refreshing(options)
      : Effect.fail(V.invalid("Credentials.makeRefreshing", problem.field, problem.problem))
  })

/**
 * The token `obtain` gave, checked as `Credentials.make` checks one (a plain string from untyped JavaScript is
 * wrapped): one it refuses (whitespace or a line break, such as a token file's trailing newline, which the stored
 * layers could not read back; one that is not a string) is `InvalidInput` naming `obtain`, never a request. When
 * the credentials are built, that fails them; in a re-authentication, no new token came
 * (`reauthentication: "Failed"`).
 */
const checkObtained =
  (operation: string) =>
  (token: Redacted.Redacted<string>): Effect.Effect<Redacted.Redacted<string>, InvalidInput> =>
    Effect.mapError(V.token(operation, "obtain", token), (error) =>
      V.invalid(operation, "obtain", obtainedTokenProblem(error.reason))
    )

/** {@link makeRefreshing}, its options checked. */
const refreshing = <E, R>(options: {
  readonly initial?: Redacted.Redacted<string> | undefined
  readonly obtain: Effect.Effect<Redacted.Redacted<string>, E, R>
  readonly cooldown?: Duration.DurationInput | undefined
}): Effect.Effect<CredentialsService, E | InvalidInput, R | Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<R>()
    const obtain = Effect.flatMap(
      Effect.provide(options.obtain, context),
      checkObtained("Credentials.makeRefreshing")
    )
    const initial = options.initial ?? (yield* obtain)
    return yield* Refresh.make({ initial, obtain, cooldown: options.cooldown })
  })

/**
 * A layer that signs in when it is built and serves the token to every
 * operation that uses it; when the token is later refused, it signs in again
 * (once, shared by concurrent callers) and the refused call is retried once.
 * A `verificationCode` (two-factor) goes with the first sign-in only: a code
 * is good for one sign-in, so signing in again sends none, which plex.tv
 * refuses for an account with two-factor on (the `Unauthorized` reaches you).
 * Fails with the sign-in's error (e.g. `VerificationCodeRequired`), or with
 * `InvalidInput` when `input` is not an object, before any request. Its
 * sign-ins run in spans named `Credentials.layerSignIn`, and their errors
 * carry that `operation`.
 *
 * A layer keeps its token for as long as the app runs, so it asks for a
 * long-lived session (`rememberMe: true`, as python-plexapi and plex-rs do)
 * unless `rememberMe: false` is given; `PlexAuth.postUsersSignInData` itself
 * keeps the seeds' default, `false`.
 *
 * @example
 * ```ts
 * import { Credentials } from "effect-plex-auth"
 *
 * const CredentialsLive = Credentials.layerSignIn({ login: "me@example.com", password: "hunter2" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSignIn = (
  input: PlexAuth.SignInInput
): Layer.Layer<Credentials, SignInError, HttpClient.HttpClient | ClientIdentity> =>
  Layer.scoped(
    Credentials,
    // Input that is not an object (untyped JavaScript) fails the layer when it is built, before any request.
    Effect.flatMap(V.check("Credentials.layerSignIn", "input", Auth.signInInputProblem(input)), () => {
      // A two-factor code is for one sign-in (an authenticator's lasts 30 s, a backup code is used up): the layer's
      // first sends it, a re-authentication none (a stale code, sent again once per cooldown, failed as a wrong one,
      // 1028, toward Plex's lockout, 1031), which plex.tv refuses for an account with two-factor on (1029).
      let sent = Auth.sessionSignIn(input)
      return makeRefreshing({
        // Named after what the caller called: its spans and errors say Credentials.layerSignIn.
        obtain: Effect.suspend(() => {
          const form = sent
          sent = { ...form, verificationCode: undefined }
          return Effect.map(signInAs("Credentials.layerSignIn", form), (signedIn) => signedIn.value.authToken)
        })
      })
    })
  )

/**
 * A layer that signs in with a PIN when it is built: creates the PIN, hands
 * it and its app.plex.tv URL to `onPin` (show them to the user), polls until
 * the user approves, and serves the token. When the token is later refused,
 * it runs the PIN flow again (calling `onPin` again).
 *
 * @example
 * ```ts
 * import { Console } from "effect"
 * import { Credentials } from "effect-plex-auth"
 *
 * const CredentialsLive = Credentials.layerPinLogin({
 *   onPin: ({ url }) => Console.log(`Open ${url} to sign in`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPinLogin = (
  options: PinLogin.LoginOptions
): Layer.Layer<
  Credentials,
  PinLogin.CreateError | PinLogin.CheckError | InvalidInput,
  HttpClient.HttpClient | ClientIdentity
> => Layer.scoped(Credentials, makeRefreshing({ obtain: PinLogin.login(options) }))

/**
 * Runs an effect (one operation or a whole program) with another token,
 * without rebuilding layers. An empty token fails with `InvalidInput`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withToken: {
  (
    token: string | Redacted.Redacted<string>
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInput, Exclude<R, Credentials>>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    token: string | Redacted.Redacted<string>
  ): Effect.Effect<A, E | InvalidInput, Exclude<R, Credentials>>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    token: string | Redacted.Redacted<string>
  ): Effect.Effect<A, E | InvalidInput, Exclude<R, Credentials>> =>
    Effect.flatMap(make(token), (credentials) => Effect.provideService(self, Credentials, credentials))
)

/**
 * What a validity check found. `Unknown` means Plex gave no verdict on the
 * token (a 5xx, a 403, a timeout, no answer, or an identity header that
 * cannot be sent, `InvalidInput` naming it): keep the token.
 *
 * @since 0.1.0
 * @category models
 */
export type Validity =
  | { readonly _tag: "Valid"; readonly account: Schemas.Account }
  | { readonly _tag: "Invalid"; readonly error: Unauthorized | InvalidInput }
  | { readonly _tag: "Unknown"; readonly error: GetTokenDetailsError }

/**
 * Checks the current token without re-authenticating: plex.tv answering 200
 * means `Valid` (a managed Home user's token too), a refused token
 * (`Unauthorized`: 401, 498 for an expired Plex JWT, or its 422 "Invalid
 * token") `Invalid`, as is a token that cannot be sent (`InvalidInput`:
 * empty, or with whitespace, control or non-ASCII characters, which only
 * `Credentials` of your own making can give; nothing is sent), anything else
 * — or no answer, or an identity header that cannot be sent (`InvalidInput`
 * naming it, from a `ClientIdentity` of your own making: fix the identity,
 * nothing is sent) — `Unknown`, which says nothing about the token. A 403 is
 * `Unknown` too (its error an `Unauthorized` with `status` 403): plex.tv
 * refuses a valid token with it what the account may not do, not a token
 * here, so it is never thrown away for one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Credentials } from "effect-plex-auth"
 *
 * const keepOrDrop = Credentials.validate.pipe(
 *   Effect.map((validity) => (validity._tag === "Invalid" ? "sign in again" : "keep the token"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const validate: Effect.Effect<Validity, never, HttpClient.HttpClient | ClientIdentity | Credentials> =
  /*#__PURE__*/ Effect.flatMap(Credentials, (credentials) =>
    PlexAuth.getTokenDetails().pipe(
      // A validity check must not replace the token it is checking.
      Effect.provideService(Credentials, { token: credentials.token }),
      Effect.match({
        onSuccess: (account): Validity => ({ _tag: "Valid", account }),
        onFailure: (error): Validity =>
          // Not an identity header that cannot be sent (a `ClientIdentity` of the caller's own making): the
          // token is not at fault, and signing in again would be refused the same way.
          (error._tag === "InvalidInput" && error.field === "token") ||
          (error._tag === "Unauthorized" && tokenRefusedBy(error.status))
            ? { _tag: "Invalid", error }
            : { _tag: "Unknown", error }
      })
    )
  ).pipe(
    /*#__PURE__*/ Effect.withSpan("Credentials.validate", { kind: "internal", captureStackTrace: false })
  )

/**
 * The `KeyValueStore` key under which {@link layerStored} keeps the token.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultStoreKey = RefreshFacts.tokenStoreKey

/**
 * Credentials kept in a `KeyValueStore` (a file on Node, `localStorage` in
 * a browser, memory in tests): the stored token is used when there is one;
 * otherwise — and whenever the token is refused — `obtain` runs (a sign-in,
 * a PIN login) and its token is stored. A refused token is first looked for
 * in the store again: a token another process stored since (`plex-auth
 * login`, another run) is used without running `obtain`; refused in turn
 * (revoked there), it is not taken again and the next refresh runs `obtain`
 * at once, without the cooldown of a fresh token refused. Processes sharing
 * the store that need a token at the same moment run `obtain` one at a time
 * (a lease under `<key>:obtaining`, best effort; a web page that goes away
 * mid sign-in removes it on `pagehide`): the others wait for the token it
 * stores, so a PIN login asks for one approval. Options that are not an object, an
 * `obtain` that is not an Effect or a `key` that is not a string (or is empty or blank) fail the
 * layer with `InvalidInput` when it is built, before any request. A token
 * `obtain` gives is checked as in {@link makeRefreshing}: one {@link make}
 * refuses is neither sent nor stored.
 *
 * @example
 * ```ts
 * import { KeyValueStore } from "@effect/platform"
 * import { Console, Layer } from "effect"
 * import { Credentials, PinLogin } from "effect-plex-auth"
 *
 * const CredentialsLive = Credentials.layerStored({
 *   obtain: PinLogin.login({ onPin: ({ url }) => Console.log(`Open ${url}`) })
 * }).pipe(Layer.provide(KeyValueStore.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStored = <E, R>(options: {
  readonly obtain: Effect.Effect<Redacted.Redacted<string>, E, R>
  readonly key?: string | undefined
}): Layer.Layer<Credentials, E | InvalidInput | PlatformError, R | KeyValueStore.KeyValueStore> =>
  Layer.scoped(
    Credentials,
    Effect.gen(function* () {
      // Bad input fails before any store access or request: options an object, `obtain` an Effect, `key` a
      // string, not empty nor blank, when given.
      yield* V.checkField("Credentials.layerStored", RefreshFacts.storedProblem(options, Effect.isEffect))
      const store = yield* KeyValueStore.KeyValueStore
      const key = options.key ?? defaultStoreKey
      const stored = yield* store.get(key)
      const initial = Option.getOrUndefined(
        Option.flatMap(stored, (raw) => Option.getRight(V.tokenSync(raw)))
      )
      // The one sign-out of the stored layers (internal/storedSignOut.ts): it forgets the tokens this layer held, and
      // keeping a token (best effort: a full disk must not fail a sign-in) goes one write at a time with it.
      const signOut = yield* StoredSignOut.make({ store, tokenEntry: key })
      const keep = signOut.keep
      const obtain = Effect.flatMap(
        Effect.provide(options.obtain, yield* Effect.context<R>()),
        checkObtained("Credentials.layerStored")
      )
      // The tokens this layer has held (`signOut.held`: the first, each a refresh gave), so that a re-authentication
      // takes a token another process stored since (a `plex-auth login`, another run's re-authentication) before
      // `obtain` asks for a new one, and never one of its own a failed store write left behind. Redacted, as every
      // token, and the last few dozen only (`RefreshFacts.heldLimit` says why that is enough). A sign-out forgets
      // them all.
      const fromStore = Effect.flatMap(Effect.option(store.get(key)), (stored) =>
        Effect.map(signOut.held, (tokens) =>
          Option.map(
            Option.fromNullable(
              RefreshFacts.storedReplacement(Option.getOrUndefined(Option.flatten(stored)), (token) =>
                tokens.some((mine) => Redacted.value(mine) === token)
              )
            ),
            Redacted.make
          )
        )
      )
      // `obtain`, one process at a time among those sharing the store (the lease of internal/obtainLease.ts):
      // while another holds the lease (its user approving a PIN), this one waits for the token it stores (taken:
      // not written back) instead of asking for a second approval; it stores the token just after it releases the
      // lease, once the credentials have kept it.
      const lease = ObtainLease.make({ store, key, lookup: fromStore })
      // `looked`: the store was just read and held no token (the start with none: not read a second time).
      const obtainShared = (looked: boolean) =>
        Effect.map(lease.obtainShared(obtain, { looked }), ({ taken, value }) => ({ token: value, taken }))
      const first =
        initial ??
        (yield* Effect.flatMap(obtainShared(true), ({ taken, token }) =>
          taken ? Effect.succeed(token) : Effect.as(keep(token), token)
        ))
      yield* signOut.hold(first)
      // The token the refresh in flight took from the store (refreshes are single flight: one at a time). It is
      // not written back: another process may have stored a newer one since it was read, or removed it (a
      // sign-out), and writing it back would put that process's old or revoked token in their place.
      const taken = yield* Ref.make<Redacted.Redacted<string> | undefined>(undefined)
      // Cleared before the look (as before the lease: `obtain` runs with none taken), set once a token is taken.
      const reobtain = Effect.zipRight(
        Ref.set(taken, undefined),
        Effect.flatMap(obtainShared(false), ({ taken: fromOther, token }) =>
          Effect.as(Ref.set(taken, fromOther ? token : undefined), token)
        )
      )
      // A token a refresh obtained is stored only when the credentials keep it: not one a sign-out dropped.
      const credentials = yield* Refresh.make({
        initial: first,
        obtain: reobtain,
        // A token taken from the store may be one the other process left there revoked (its own write of the
        // next one failed): refused, it is not a fresh token refused (`FreshTokenRefused` and a cooldown before
        // `obtain`) but one more held token, and the refresh after its refusal runs `obtain` at once.
        reused: (token) =>
          Effect.map(
            Ref.get(taken),
            (fromStore) => fromStore !== undefined && Redacted.value(fromStore) === Redacted.value(token)
          ),
        onRenewed: (token) =>
          Effect.zipRight(
            signOut.hold(token),
            Effect.flatMap(Ref.get(taken), (fromStore) =>
              fromStore !== undefined && Redacted.value(fromStore) === Redacted.value(token)
                ? Effect.void
                : keep(token)
            )
          )
      })
      // A signed-out token in the store is of no use to the next run: the sign-out forgets it (best effort, as
      // keeping it), and every other token this layer held.
      return signOut.signingOut(credentials)
    })
  )

/**
 * Forgets a stored token. `PlexAuth.signOut` through {@link layerStored}
 * already forgets the token it signed out (and every other token it held).
 *
 * A key that is not a string, or is empty or blank, fails with `InvalidInput`, removing nothing.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const forgetStored = (
  key: string = defaultStoreKey
): Effect.Effect<void, PlatformError | InvalidInput, KeyValueStore.KeyValueStore> =>
  // A key that is not a string (untyped JavaScript) would remove some other entry, an empty or blank one (a variable
  // not set) an entry no layer uses: refused instead.
  Effect.andThen(
    V.check("Credentials.forgetStored", "key", V.optionalStoreKeyProblem(key)),
    forgetChecked(key)
  )

const forgetChecked = (key: string): Effect.Effect<void, PlatformError, KeyValueStore.KeyValueStore> =>
  Effect.flatMap(KeyValueStore.KeyValueStore, (store) => store.remove(key))
