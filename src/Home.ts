/**
 * Plex Home: the users of the signed-in account's home, and switching to
 * one of them (with its PIN when it has one). The switch gives that user's
 * own token, as `Credentials` ready to use.
 *
 * Routes: plex.tv `GET /api/v2/home/users` and
 * `POST /api/v2/home/users/{uuid}/switch?pin=…`, the v2 forms of the legacy
 * `/api/home/users` and `/api/home/users/{id}/switch?pin=…` that
 * python-plexapi (`MyPlexAccount.switchHomeUser`) and @ctrl/plex
 * (`MyPlexAccount.switchHomeUser`) call, the PIN a query parameter as both
 * send it (`Redacted`: masked in errors, never in a span or a log).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import type { ClientIdentity } from "./ClientIdentity.js"
import * as Schema from "effect/Schema"
import {
  type BadRequest,
  type InvalidInput,
  PlexErrorDetail,
  type ResponseError,
  type Unauthorized
} from "./PlexError.js"
import * as L from "./internal/lenient.js"
import * as Request from "./internal/request.js"
import { CurrentRetryPolicy, none } from "./internal/settings.js"
import { Credentials, type CredentialsService, makeRefreshing } from "./Credentials.js"
import * as V from "./internal/validate.js"
import * as Facts from "./core/home.js"

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/**
 * The Plex Home user asked for is not in the signed-in account's home (an
 * account in no home has one user, itself), or plex.tv no longer knows a
 * user listed before (removed from the home since): list the home's users
 * with `Home.users()`.
 *
 * @since 0.1.0
 * @category errors
 */
export class HomeUserNotFound
  extends /*#__PURE__*/ Schema.TaggedError<HomeUserNotFound>("effect-plex-auth/HomeUserNotFound")(
    "HomeUserNotFound",
    {
      /** The operation that looked, e.g. `Home.switchUser`. */
      operation: Schema.String,
      /** The user asked for: an id, a uuid, a title, a username or an email. */
      user: Schema.String,
      /** The titles of the home's users. */
      available: /*#__PURE__*/ Schema.Array(Schema.String)
    }
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Facts.userNotFoundMessage(this.operation, this.user, this.available)
  }
}

/**
 * plex.tv wants the Plex Home user's PIN and none was given: ask the user
 * for it and switch again with `pin`.
 *
 * @since 0.1.0
 * @category errors
 */
export class HomePinRequired
  extends /*#__PURE__*/ Schema.TaggedError<HomePinRequired>("effect-plex-auth/HomePinRequired")(
    "HomePinRequired",
    {
      operation: Schema.String,
      /** The title of the user switched to. */
      user: Schema.String,
      /** Plex's error entries, when plex.tv answered. */
      errors: /*#__PURE__*/ Schema.Array(PlexErrorDetail)
    }
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Facts.pinRequiredMessage(this.operation, this.user, this.errors)
  }
}

/**
 * plex.tv refused the Plex Home PIN given for the user: ask again. Never
 * carries the PIN.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidHomePin
  extends /*#__PURE__*/ Schema.TaggedError<InvalidHomePin>("effect-plex-auth/InvalidHomePin")(
    "InvalidHomePin",
    {
      operation: Schema.String,
      /** The title of the user switched to. */
      user: Schema.String,
      /** The HTTP status plex.tv answered with. */
      status: Schema.Number,
      /** Plex's error entries. */
      errors: /*#__PURE__*/ Schema.Array(PlexErrorDetail)
    }
  )
{
  /** @since 0.1.0 */
  override get message(): string {
    return Facts.invalidPinMessage(this.operation, this.user, this.status, this.errors)
  }
}

// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------

/**
 * A user of a Plex Home, as `GET /api/v2/home/users` lists it. `id` and
 * `uuid` are required; `title` defaults to `""` and the flags to `false`.
 * A managed user (`restricted`) has no username or email. `protected`
 * means the user has a PIN, which plex.tv may ask for to switch to it.
 * Unknown fields are kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const HomeUser = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.homeUserFields())

/**
 * @since 0.1.0
 * @category models
 */
export interface HomeUser extends Schema.Schema.Type<typeof HomeUser> {}

/**
 * The body of `GET /api/v2/home/users`: the home and its users (malformed
 * users dropped).
 *
 * @since 0.1.0
 * @category schemas
 */
export const HomeUsers = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.homeUsersFields(HomeUser))

/**
 * @since 0.1.0
 * @category models
 */
export interface HomeUsers extends Schema.Schema.Type<typeof HomeUsers> {}

/**
 * The account plex.tv answers a switch with: the home user's own account,
 * with its `authToken` (`Redacted`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SwitchedAccount = /*#__PURE__*/ L.struct(/*#__PURE__*/ Facts.switchedAccountFields(L.Secret))

/**
 * @since 0.1.0
 * @category models
 */
export interface SwitchedAccount extends Schema.Schema.Type<typeof SwitchedAccount> {}

// ---------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------

/**
 * The errors of {@link users}.
 *
 * @since 0.1.0
 * @category models
 */
export type UsersError = InvalidInput | ResponseError

/**
 * The users of the signed-in account's Plex Home, the admin among them: plex.tv
 * `GET /api/v2/home/users`. An account in no home is a home of one: it
 * lists itself, and a switch to itself gives a token of its own.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Home } from "effect-plex-auth"
 *
 * const titles = Home.users().pipe(Effect.map((users) => users.map((user) => user.title)))
 * ```
 *
 * @since 0.1.0
 * @category listing
 */
export const users = (): Effect.Effect<
  ReadonlyArray<HomeUser>,
  UsersError,
  HttpClient.HttpClient | ClientIdentity | Credentials
> =>
  Effect.map(
    Request.plexTv("Home.users", {
      ...Facts.getHomeUsers,
      schema: HomeUsers
    }),
    (success) => success.value.users
  )

/**
 * The user of `list` that `wanted` names: its id, its uuid, its exact
 * title, username or email, else its title, username or email ignoring case
 * (as python-plexapi and @ctrl/plex compare them). An empty or blank
 * name names no one. Pure; a list that is not an array of objects throws
 * `InvalidInput`.
 *
 * @since 0.1.0
 * @category listing
 */
export const findUser = (list: ReadonlyArray<HomeUser>, wanted: string | number): HomeUser | undefined => {
  V.refuseSync("Home.findUser", "list", V.recordsProblem(list, "Home users"))
  return Facts.findUser(list, wanted)
}

// ---------------------------------------------------------------------------
// Switching
// ---------------------------------------------------------------------------

/**
 * Options of {@link switchUser}.
 *
 * @since 0.1.0
 * @category models
 */
export interface SwitchOptions {
  /**
   * The user's Plex Home PIN (four digits), when it has one; wrapped in `Redacted` at once. A blank one (`""`, a
   * PIN box left empty) is none: the switch is sent without a PIN, and plex.tv asks for one if it wants it.
   */
  readonly pin?: string | Redacted.Redacted<string> | undefined
}

/**
 * A switch's result: the home user, its account as plex.tv answered, its
 * token, and `Credentials` with that token, ready to provide.
 *
 * @since 0.1.0
 * @category models
 */
export interface Switched {
  readonly user: HomeUser
  readonly account: SwitchedAccount
  /** The home user's token, `Redacted`. */
  readonly token: Redacted.Redacted<string>
  /**
   * `Credentials` with {@link token}: what operations run as that user need. A token plex.tv refuses later (its
   * device revoked, signed out at plex.tv) is replaced by the same switch again, with the signed-in account's
   * credentials and the PIN of this one (kept, `Redacted`, for as long as the layer is), and the refused call is
   * retried once; each build of the layer starts from the newest token. When that switch fails, the call's
   * `Unauthorized` says what to do: `; re-authentication failed (InvalidHomePin): switch to the user again` (a
   * PIN changed since; a switch plex.tv refused for the user is never sent again), or `(Unauthorized): sign in
   * again` (the signed-in account's own token refused). To keep the token across restarts, see
   * `Credentials.layerStored` in docs/home.md. A sign-out through the layer (`PlexAuth.signOut`) is never undone by a
   * switch again, and revokes at plex.tv every other token of the layer still around, once each, up to four at a
   * time, never a token your credentials gave one of its switches (a switch to your own profile may hand it back);
   * through a build whose token a later switch replaced, it signs the layer's newest token out. A switch again on its
   * way as the sign-out comes runs on, is never sent again after it, and its token is revoked too (docs/home.md).
   */
  readonly layer: Layer.Layer<Credentials>
}

/**
 * The errors of {@link switchUser}: the user is not in the home, a PIN is
 * needed and none was given, the PIN was refused, an argument was invalid
 * (before any request), or any failure of the exchange.
 *
 * @since 0.1.0
 * @category models
 */
export type SwitchError = HomeUserNotFound | HomePinRequired | InvalidHomePin | InvalidInput | ResponseError

/**
 * Switches to a user of the signed-in account's Plex Home: plex.tv
 * `POST /api/v2/home/users/{uuid}/switch`, with the PIN as the query
 * parameter `pin` when one is given (as python-plexapi and @ctrl/plex send
 * it; masked in errors, kept out of spans and logs). `user` is a listed `HomeUser`, or
 * its id, uuid, title, username or email (the home is listed first to find
 * it: a failure of that listing is `Home.users`'s, as in its span, and no
 * switch was sent).
 *
 * Without a PIN the switch is sent even to a `protected` user: plex.tv
 * decides whether it needs the PIN (it does not for the signed-in user's
 * own profile, nor on every account), as python-plexapi and @ctrl/plex let
 * it. An app that wants a `protected` user's PIN asked for every time asks
 * before switching (as the `plex-auth home switch` command does).
 *
 * Fails with `HomeUserNotFound` when the home has no such user,
 * `HomePinRequired` when plex.tv asked for a PIN and none was given,
 * `InvalidHomePin` when plex.tv refused the PIN, and `InvalidInput` for a
 * PIN that is not four digits (before any request; a blank PIN is none).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Home, PlexAuth } from "effect-plex-auth"
 *
 * const asKids = Effect.gen(function* () {
 *   const switched = yield* Home.switchUser("Kids", { pin: "1234" })
 *   return yield* PlexAuth.getTokenDetails().pipe(Effect.provide(switched.layer))
 * })
 * ```
 *
 * @since 0.1.0
 * @category switching
 */
export const switchUser = (
  user: HomeUser | string | number,
  options: SwitchOptions = {}
): Effect.Effect<Switched, SwitchError, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Effect.gen(function* () {
    const operation = "Home.switchUser"
    // Untyped JavaScript may pass anything: InvalidInput before any request, never a TypeError.
    yield* V.object(operation, "options", options, true)
    const given = options.pin === undefined ? undefined : V.toRedacted(options.pin)
    // A blank PIN (a PIN box left empty) is none, as python-plexapi and the command line take it: plex.tv decides.
    const pin = given === undefined || Facts.pinBlank(V.reveal(given)) ? undefined : given
    const pinProblem = pin === undefined ? undefined : Facts.pinProblem(V.reveal(pin))
    if (pinProblem !== undefined) return yield* V.invalid(operation, "pin", pinProblem)
    let target: HomeUser
    if (typeof user === "object" && user !== null) {
      const userProblem = Facts.homeUserProblem(user)
      if (userProblem !== undefined) return yield* V.invalid(operation, "user", userProblem)
      target = user
    } else {
      const userProblem = Facts.userProblem(user)
      if (userProblem !== undefined) return yield* V.invalid(operation, "user", userProblem)
      const list = yield* users()
      const found = findUser(list, user)
      if (found === undefined) {
        return yield* new HomeUserNotFound({
          operation,
          user: String(user),
          available: list.map((u) => u.title)
        })
      }
      target = found
    }
    // No refusal of our own for a `protected` user without a PIN: plex.tv decides (see core/home.ts pinRefusal).
    const spec = {
      // The PIN as a query parameter, as python-plexapi and @ctrl/plex send it: a secret (masked in errors, no
      // platform span with `url.full`, dropped from a redirect to another origin).
      ...Facts.switchHomeUser(
        target.uuid,
        pin === undefined ? undefined : Redacted.make(Facts.pinValue(Redacted.value(pin)))
      ),
      refusals: Request.notFoundRefusals,
      schema: SwitchedAccount
    }
    // The tokens the caller's credentials gave the switches (this one, each switch again, a re-authentication of
    // theirs during one), each once: a sign-out never revokes one as an extra (a switch to the signed-in user's own
    // profile may hand back the very token it was sent with), whatever those credentials hold by then (credentials of
    // the caller's own making may change their token). One more only when a switch is sent with a new token.
    const owner = yield* Credentials
    const sentWith: Array<Redacted.Redacted<string>> = []
    const remember = (token: Redacted.Redacted<string>) =>
      Effect.sync(() => {
        if (Facts.signOutAlsoRevokes([token], sentWith, Redacted.value).length > 0) sentWith.push(token)
      })
    // The switch; sent again as it is (the PIN its own copy) by the layer, when plex.tv later refuses the token. Once
    // the layer is signed out (`stopped`), a switch again refused with the caller's token (a 401 answered to the
    // attempt a sign-out abandoned) neither re-authenticates them nor is sent again with the new token, the PIN with
    // it (a token made only to be revoked): it fails with that 401, as with credentials that cannot re-authenticate
    // (the refresh's failure is no reason the call's error names).
    const send = (stopped: () => boolean) => {
      const unlessStopped = Effect.suspend(() => (stopped() ? Effect.fail("SignedOut") : Effect.void))
      return Request.plexTv(operation, spec).pipe(
        Effect.provideService(Credentials, {
          ...owner,
          token: Effect.tap(owner.token, remember),
          refresh:
            owner.refresh &&
            ((stale) =>
              Effect.andThen(unlessStopped, Effect.tap(owner.refresh!(stale), remember)).pipe(
                Effect.tap(() => unlessStopped)
              ))
        }),
        Effect.catchTags({
          NotFound: () => Effect.fail(new HomeUserNotFound({ operation, user: target.title, available: [] })),
          Unauthorized: (error) => Effect.fail(pinError(operation, target, pin, error)),
          BadRequest: (error) => Effect.fail(pinError(operation, target, pin, error))
        })
      )
    }
    const account = (yield* send(() => false)).value
    // The services of this switch (the signed-in account's credentials among them), for the switches again; not its
    // span, long ended by then: a switch again is a child of the span where the layer's refresh runs.
    const context = Context.omit(Tracer.ParentSpan)(
      yield* Effect.context<HttpClient.HttpClient | ClientIdentity | Credentials>()
    )
    // Retried by the caller's policy until the layer is signed out (`stopped`): a switch a sign-out abandons runs on
    // for its attempt in flight (its token, if plex.tv made one, is revoked), but no retry is decided after it. Each
    // retry decided tells when it is sent (`retryAt`, epoch ms): abandoned before then, no attempt is on its way.
    const again = (stopped: () => boolean, retryAt: (millis: number) => void) =>
      Effect.flatMap(CurrentRetryPolicy, (policy) =>
        Effect.provideService(
          Effect.map(send(stopped), (success) => success.value.authToken),
          CurrentRetryPolicy,
          policy === none
            ? policy
            : Schedule.check(policy, () => !stopped()).pipe(
                Schedule.modifyDelayEffect((_, delay) =>
                  Effect.as(
                    Effect.flatMap(Clock.currentTimeMillis, (now) =>
                      Effect.sync(() => retryAt(now + Duration.toMillis(delay)))
                    ),
                    delay
                  )
                )
              )
        )
      ).pipe(Effect.provide(context))
    return {
      user: target,
      account,
      token: account.authToken,
      layer: switchedLayer(account.authToken, again, sentWith)
    }
    // A flow: `Home.users` (when a name is given) and the switch, whose client span is named `Home.switchUser` too.
  }).pipe(Effect.withSpan("Home.switchUser", { kind: "internal", captureStackTrace: false }))

/**
 * The `Credentials` of a switched user ({@link Switched}'s `layer`): its token; when plex.tv refuses it (its device
 * revoked, signed out at plex.tv), `again`, the same switch with the signed-in account's credentials and the PIN of
 * the first, gets a new one, through `Credentials.makeRefreshing` (once for concurrent callers, the refused call
 * retried once, a cooldown after a failure). Each build of the layer starts from the newest token a switch got, and
 * one refused after another build switched again takes that build's token, sending no switch of its own; one
 * refused while another build's switch again is in flight waits for that switch (one switch for the layer). A
 * switch plex.tv refused for the user (`InvalidHomePin`, `HomePinRequired`: the PIN changed; `HomeUserNotFound`: the
 * user left the home) is never sent again: each later refusal fails at once with it, so no PIN is tried over and
 * over towards a lockout, and its `Unauthorized` ends `; re-authentication failed (InvalidHomePin): switch to the
 * user again`, what the caller can do. A token signed out through the layer (`PlexAuth.signOut`) is never replaced,
 * in that build, in a later one (each starts from it, signed out) nor in one alive meanwhile (each is told, whichever
 * token it holds, an older one too), so the user is not switched back in with the PIN the layer holds; and with the
 * sign-out's `revoke`, each other token of the layer still around (the newest a switch got, each build's: one built
 * after a switch holds the newer token without having renewed it) is revoked at plex.tv, once, after the builds are
 * told (they too a few at once: one build's revoke of a token it dropped holds no other's telling), a few at once
 * (`signOutAlsoRevokes`, `signOutRevokesAtOnce` in core/home.ts), never a token the credentials the switch was made
 * with gave one of the layer's switches (`owned`, the caller's, recorded as each switch is sent: a switch to the
 * signed-in user's own profile may hand back the token it was sent with, which stays the caller's even once their
 * credentials give another). A build whose token another build's switch again replaced answers the layer's newest
 * as `settled`, what a sign-out through it revokes: the layer's session ends and the call succeeds, rather than
 * failing `Unauthorized` on the stale token while the layer is signed out all the same. A switch again a sign-out
 * abandons is not cut short (plex.tv may have made its token, the answer on its way): it runs on in the background,
 * never sent again after the sign-out (no retry, no re-authentication of the caller's credentials), and a token it
 * gives is revoked with the sign-out's revoke; one waiting out the retry policy's delay (nothing on its way) is
 * stopped.
 */
const switchedLayer = (
  first: Redacted.Redacted<string>,
  again: (
    stopped: () => boolean,
    retryAt: (millis: number) => void
  ) => Effect.Effect<Redacted.Redacted<string>, SwitchError>,
  owned: ReadonlyArray<Redacted.Redacted<string>>
): Layer.Layer<Credentials> => {
  let newest = first
  let refused: HomeUserNotFound | HomePinRequired | InvalidHomePin | undefined
  // The token signed out through a build of the layer: later builds start from it, signed out too.
  let signedOut: Redacted.Redacted<string> | undefined
  // The builds alive (each removed when its scope closes): a sign-out through one is told to every one, so that a
  // build alive meanwhile (an app's runtime) does not switch again when the token signed out is refused.
  const live = new Set<CredentialsService>()
  // The tokens revoked through the layer (each signed out, and each its sign-outs revoked besides): none twice.
  const revoked: Array<Redacted.Redacted<string>> = []
  // The last sign-out's revoke (`revokeOnce`), for the token of a switch it abandoned that answers after it.
  let late: ((token: Redacted.Redacted<string>) => Effect.Effect<void>) | undefined
  // `revoke` (the sign-out's: bounded, best effort, never failing, its failure logged as a word) of a token not
  // revoked through the layer yet, recorded before it is sent; of one already revoked, or the caller's own (`owned`,
  // each token the credentials the switch was made with gave a switch: a switch to the signed-in user may hand back
  // that very token), nothing.
  const revokeOnce =
    (revoke: (token: Redacted.Redacted<string>) => Effect.Effect<void>) =>
    (token: Redacted.Redacted<string>): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (Facts.signOutAlsoRevokes([token], revoked, Redacted.value, owned).length === 0) return Effect.void
        revoked.push(token)
        return revoke(token)
      })
  // Whether the layer is signed out: the policy retries a switch again no more (`again`).
  const stopped = () => signedOut !== undefined
  // The switch again in flight, if any: a build refused meanwhile (its own refresh single-flight is per build) waits
  // for its token rather than sending a switch of its own. None when it was interrupted (its build closed, its
  // refresh abandoned): who waited for it then switches.
  let inFlight:
    | Deferred.Deferred<Option.Option<Exit.Exit<Redacted.Redacted<string>, SwitchError>>>
    | undefined
  // One attempt, as WebSignIn's `attemptReturn`: the flight is looked up and taken in one step, run, and dropped in
  // one uninterruptible region (the switch itself is waited for interruptibly).
  const attemptSwitch = Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      Deferred.make<Option.Option<Exit.Exit<Redacted.Redacted<string>, SwitchError>>>(),
      (mine) => {
        const running = inFlight
        if (running !== undefined) return restore(Deferred.await(running))
        inFlight = mine
        // The switch in a fiber of its own, waited for interruptibly. A sign-out that abandons the refresh waiting
        // for it (the layer signed out) does not cut it short: plex.tv may have made the token already, its answer on
        // its way, which would stay valid, never seen. The switch runs on in the background (its attempt bounded by
        // the per-attempt timeout; `stopped`: no retry decided after the sign-out; one waiting out the policy's delay,
        // `retryAt`, has nothing on its way and is stopped), and a token it gives is revoked with the sign-out's revoke;
        // the refresh, and the calls waiting for it, end at once as before. Closing the build (no sign-out) stops it,
        // as before: its waiters switch themselves.
        // When a retry of the switch is sent (epoch ms), while the policy waits out its delay: no attempt on its way.
        let retryAt = 0
        const run = again(stopped, (millis) => void (retryAt = millis))
        const switching = Effect.flatMap(Effect.forkDaemon(Effect.interruptible(run)), (fiber) =>
          restore(Fiber.join(fiber)).pipe(
            Effect.onInterrupt(() =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                signedOut === undefined || now < retryAt
                  ? Effect.asVoid(Fiber.interrupt(fiber))
                  : Effect.forkDaemon(
                      Effect.flatMap(Fiber.await(fiber), (exit) =>
                        Exit.isSuccess(exit) && late !== undefined ? late(exit.value) : Effect.void
                      )
                    )
              )
            )
          )
        )
        // The switch's token is recorded here, uninterruptibly, and not only once handed on: an interruption landing
        // just after this region (the sign-out abandoning the refresh, the caller's fiber yielding in between) would
        // lose it, never revoked. Before a sign-out it is the layer's newest (which a later sign-out revokes); after
        // one, it is revoked with that sign-out's revoke (once, whether or not the refresh drops it too; never the
        // caller's own).
        return Effect.tap(Effect.exit(switching), (exit) =>
          Effect.zipRight(
            Effect.suspend(() => {
              inFlight = undefined
              if (!Exit.isSuccess(exit) || exit.value === signedOut) return Effect.void
              if (signedOut === undefined) newest = exit.value
              else if (late !== undefined) return Effect.asVoid(Effect.forkDaemon(late(exit.value)))
              return Effect.void
            }),
            Deferred.succeed(mine, Exit.isInterrupted(exit) ? Option.none() : Option.some(exit))
          )
        ).pipe(Effect.map(Option.some))
      }
    )
  )
  // After a sign-out through any build, no switch: a build refused, or waiting for a switch the sign-out abandoned,
  // before it is told (the builds are told a few at a time, each perhaps held by the revoke of a token it dropped)
  // takes the signed-out token, as a later build starts from it, rather than switching the user back in.
  const switchOnce: Effect.Effect<Redacted.Redacted<string>, SwitchError> = Effect.suspend(() =>
    signedOut !== undefined
      ? Effect.succeed(signedOut)
      : Effect.flatMap(attemptSwitch, Option.match({ onNone: () => switchOnce, onSome: (exit) => exit }))
  )
  const obtain = Effect.suspend(() => (refused === undefined ? switchOnce : Effect.fail(refused))).pipe(
    // Not the token signed out (what `switchOnce` gives after a sign-out): `newest` keeps the last token a switch got,
    // which the sign-out revokes as one of the layer's others once the builds are told, whether or not a build holds it.
    Effect.tap((token) =>
      Effect.sync(() => {
        if (token !== signedOut) newest = token
      })
    ),
    Effect.tapError((error) =>
      Effect.sync(() => {
        if (
          error._tag === "HomeUserNotFound" ||
          error._tag === "HomePinRequired" ||
          error._tag === "InvalidHomePin"
        ) {
          refused = error
        }
      })
    )
  )
  // Tells `build` that `token` was signed out and, when it holds another token (an older one, from before a switch
  // again through another build, refused too), that one: its refusal, or its refresh in flight, must not switch again.
  const tell = (
    build: CredentialsService,
    token: Redacted.Redacted<string>,
    revoke?: (token: Redacted.Redacted<string>) => Effect.Effect<void>
  ): Effect.Effect<void> =>
    build.signedOut === undefined
      ? Effect.void
      : Effect.andThen(
          build.signedOut(token, revoke),
          // The token the build holds now (never waiting for a refresh the sign-out just abandoned).
          Effect.flatMap(build.current ?? build.token, (held) =>
            Redacted.value(held) === Redacted.value(token) || build.signedOut === undefined
              ? Effect.void
              : build.signedOut(held, revoke)
          )
        )
  return Layer.scoped(
    Credentials,
    Effect.suspend(() => {
      const initial = signedOut ?? newest
      // The token this build holds: refused when another build has switched again since, it takes that build's
      // token rather than sending a switch of its own (one token for the layer, which a sign-out through any ends).
      // Never after a sign-out: `newest` may be a token the sign-out dropped (a switch that ended after it), which no
      // build may use; `obtain` then gives the token signed out.
      let held = initial
      const obtainHere = Effect.suspend(() =>
        signedOut !== undefined || Redacted.value(held) === Redacted.value(newest)
          ? obtain
          : Effect.succeed(newest)
      ).pipe(Effect.tap((token) => Effect.sync(() => void (held = token))))
      return makeRefreshing({ initial, obtain: obtainHere }).pipe(
        Effect.tap((service) =>
          signedOut === undefined || service.signedOut === undefined
            ? Effect.void
            : service.signedOut(initial)
        ),
        Effect.tap((service) =>
          Effect.acquireRelease(
            Effect.sync(() => void live.add(service)),
            () => Effect.sync(() => void live.delete(service))
          )
        ),
        Effect.map((service): CredentialsService => ({
          ...service,
          // What `PlexAuth.signOut` revokes: a build holding a token another build's switch again replaced (refused
          // there) answers the layer's token, which it would take at its next refusal without a request: the
          // sign-out ends the layer's session rather than failing `Unauthorized` on the stale token while still
          // signing the layer out; the stale token is then revoked as the other tokens are (refused: already
          // invalid). Once the layer is signed out, the build's own.
          settled: Effect.map(service.settled ?? service.token, (token) =>
            signedOut === undefined && Redacted.value(token) !== Redacted.value(newest) ? newest : token
          ),
          signedOut: (token, revoke) =>
            Effect.suspend(() => {
              signedOut = token
              // Revoked by the sign-out itself (or refused by plex.tv: already invalid).
              if (Facts.signOutAlsoRevokes([token], revoked, Redacted.value).length > 0) revoked.push(token)
              const once = revoke === undefined ? undefined : revokeOnce(revoke)
              late = once
              const told = new Set([...live, service])
              // A few at a time (`signOutRevokesAtOnce`): a build's telling may revoke the token a re-authentication
              // of the one signed out obtained (`refresh.ts`, one attempt bounded by the per-attempt timeout), and one
              // slow plex.tv answer must not hold the telling of the others (each goes on refusing, or waiting for a
              // refresh the sign-out abandons, until told). The layer is signed out (`signedOut`) before any is told.
              const tellAll = Effect.forEach(told, (build) => tell(build, token, once), {
                concurrency: Facts.signOutRevokesAtOnce,
                discard: true
              })
              // Then each other token the layer made or a build holds (a build built after a switch holds the newer
              // token without having renewed it: told, it no longer uses it, but plex.tv still accepts it), once.
              return once === undefined
                ? tellAll
                : Effect.andThen(
                    tellAll,
                    Effect.flatMap(
                      Effect.forEach(told, (build) => build.current ?? build.token),
                      (held) =>
                        // At once (a few at a time): a slow plex.tv holds the sign-out about one per-attempt timeout,
                        // not one per token.
                        Effect.forEach(
                          Facts.signOutAlsoRevokes([newest, ...held], revoked, Redacted.value),
                          once,
                          {
                            concurrency: Facts.signOutRevokesAtOnce,
                            discard: true
                          }
                        )
                    )
                  )
            })
        })),
        // Not reached: `initial` is given (obtain does not run here) and is a token plex.tv handed out, decoded as
        // one. Were it one makeRefreshing refuses, the token alone, as before.
        Effect.catchAll(() => Effect.succeed({ token: Effect.succeed(initial) }))
      )
    })
  )
}

/** A refusal about the PIN as `HomePinRequired` or `InvalidHomePin`; any other refusal as it is. */
const pinError = <E extends Unauthorized | BadRequest>(
  operation: string,
  target: HomeUser,
  pin: Redacted.Redacted<string> | undefined,
  error: E
): E | HomePinRequired | InvalidHomePin => {
  switch (Facts.pinRefusal(error.status, error.errors, pin !== undefined)) {
    case "HomePinRequired":
      return new HomePinRequired({ operation, user: target.title, errors: error.errors })
    case "InvalidHomePin":
      return new InvalidHomePin({ operation, user: target.title, status: error.status, errors: error.errors })
    default:
      return error
  }
}

/**
 * A layer of the home user's `Credentials`: switches (see {@link switchUser})
 * when it is built, with the signed-in account's `Credentials`, and provides
 * the home user's token in their place; a token plex.tv refuses later is
 * replaced by the same switch again (see {@link Switched}'s `layer`).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Credentials, Home, Resources } from "effect-plex-auth"
 *
 * const KidsLive = Home.layer("Kids", { pin: "1234" }).pipe(Layer.provide(Credentials.layerConfig()))
 * const kidsServers = Resources.servers().pipe(Effect.provide(KidsLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  user: HomeUser | string | number,
  options: SwitchOptions = {}
): Layer.Layer<Credentials, SwitchError, HttpClient.HttpClient | ClientIdentity | Credentials> =>
  Layer.unwrapEffect(Effect.map(switchUser(user, options), (switched) => switched.layer))
