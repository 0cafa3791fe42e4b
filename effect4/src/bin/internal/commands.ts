/**
 * The `plex-auth` commands on Effect 4 (`effect/cli`), with the same
 * options, output, `--json` documents and exit codes as the Effect 3
 * edition's CLI (docs/cli.md). What both CLIs print and check is in
 * src/core/cli; this file runs the commands.
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Prompt from "effect/cli/Prompt"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Core from "../../../../src/core/cli/failure.js"
import * as DeviceFacts from "../../../../src/core/devices.js"
import * as FakeSeed from "../../../../src/core/cli/fakeSeed.js"
import { help as Help } from "../../../../src/core/cli/help.js"
import { neverReachedServer, outcomeUnknown } from "../../../../src/core/policy.js"
import * as Render from "../../../../src/core/cli/render.js"
import { tokenRefusedBy } from "../../../../src/core/refreshRun.js"
import * as Claim from "../../Claim.js"
import * as ClientIdentity from "../../ClientIdentity.js"
import * as Credentials from "../../Credentials.js"
import * as Devices from "../../Devices.js"
import * as Home from "../../Home.js"
import * as PinLogin from "../../PinLogin.js"
import * as PlexAuth from "../../PlexAuth.js"
import * as PlexError from "../../PlexError.js"
import * as PlexServer from "../../PlexServer.js"
import * as PlexTv from "../../PlexTv.js"
import * as Resources from "../../Resources.js"
import { revocation } from "../../internal/tellSignedOut.js"
import {
  CliFailure,
  ExitCode,
  FakePinLifetime,
  fromPlexError,
  fromStoreError,
  type Globals,
  inSession,
  plexFailure,
  readScenarios,
  saveToken,
  plexTokenSet,
  savedToken,
  type Session,
  startFake,
  usage
} from "./session.js"
import { ask, json, line, nonEmpty, say, withProgress } from "./terminal.js"

// ---------------------------------------------------------------------------
// Global options, before or after the command's name
// ---------------------------------------------------------------------------

const globalFlags = {
  fake: Flag.Boolean("fake").pipe(Flag.withDescription(Help.fake), Flag.withDefault(false)),
  configDir: Flag.String("config-dir").pipe(
    Flag.withMetavar("dir"),
    Flag.withDescription(Help.configDir),
    Flag.optional
  ),
  plexTv: Flag.String("plex-tv").pipe(
    Flag.withMetavar("url"),
    Flag.withDescription(Help.plexTv),
    Flag.optional
  ),
  authAppUrl: Flag.String("auth-app-url").pipe(
    Flag.withMetavar("url"),
    Flag.withDescription(Help.authAppUrl),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(Flag.withDescription(Help.json), Flag.withDefault(false))
}

/** `plex-auth` alone: its global options, shared with every command (before or after its name). */
export const root = Command.make("plex-auth", {}, () =>
  Effect.fail(usage(Render.missingCommandMessage))
).pipe(
  Command.withSharedFlags(globalFlags),
  Command.withDescription("Sign in to Plex, hold the token, and get tokens for servers (Effect 4 edition).")
)

/**
 * The global options of the run; `--plex-tv` falls back to `PLEX_TV_URL` and, for `login` only
 * (`authAppVariable`: the one command that prints a sign-in link), `--auth-app-url` to `PLEX_AUTH_APP_URL`
 * (not with `--fake`).
 */
const globals = (authAppVariable: boolean) =>
  Effect.gen(function* () {
    const flags = yield* root
    const variable = (name: string) =>
      flags.fake
        ? Effect.succeed(Option.none<string>())
        : Config.option(Config.String(name)).pipe(
            Effect.map(Option.filter(Render.envSet)),
            Effect.orElseSucceed(() => Option.none<string>())
          )
    const fromEnv = yield* variable("PLEX_TV_URL")
    // Read by a PIN login only (as PLEX_SERVER_URL by the commands that use it): a bad value breaks nothing else.
    const authAppFromEnv = authAppVariable ? yield* variable("PLEX_AUTH_APP_URL") : Option.none<string>()
    return {
      fake: flags.fake,
      json: flags.json,
      configDir: flags.configDir,
      plexTv: Option.orElse(flags.plexTv, () => fromEnv),
      plexTvFrom: Option.isSome(flags.plexTv) ? "option" : "variable",
      authAppUrl: Option.orElse(flags.authAppUrl, () => authAppFromEnv),
      authAppUrlFrom: Option.isSome(flags.authAppUrl) ? "option" : "variable"
    } satisfies Globals
  })

/**
 * Runs a command's work in its session (`authAppVariable`: read `PLEX_AUTH_APP_URL`, for a PIN `login`;
 * `signedIn`: the command needs the saved token, session.ts inSession).
 */
const run = <A, E, R>(
  work: (session: Session) => Effect.Effect<A, E, R>,
  options: {
    readonly authAppVariable?: boolean
    readonly signedIn?: boolean
    /** Run instead of `work` when no token is saved, nothing written or started (session.ts inSession). */
    readonly nothingSaved?: (json: boolean) => Effect.Effect<A, E>
  } = {}
) =>
  Effect.flatMap(globals(options.authAppVariable === true), (globals) =>
    inSession(globals, work, {
      signedIn: options.signedIn,
      nothingSaved: options.nothingSaved?.(globals.json)
    })
  )

/**
 * Runs a command's work in its session, with the saved token as `Credentials` ("not logged in" without one, before
 * the session writes anything).
 */
const signedIn = <A, E, R>(work: (session: Session) => Effect.Effect<A, E, R>) =>
  run(
    (session) => Effect.flatMap(savedToken(session), (token) => Credentials.withToken(token)(work(session))),
    { signedIn: true }
  )

const secretFromEnv = (name: string) =>
  Config.option(Config.Redacted(name)).pipe(
    Effect.map(Option.filter((value) => Render.envSet(Redacted.value(value)))),
    Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
  )

// ---------------------------------------------------------------------------
// login
// ---------------------------------------------------------------------------

/** Once a token is saved: a directory the user chose that others may open is said so (core/cli/directory.ts). */
const sayOpenDirectory = (session: Session) =>
  Effect.flatMap(session.openDirectoryNote, (note) => (note === undefined ? Effect.void : say(note)))

/**
 * Wrapped around the request that answers with a new token: the token is recorded the moment it answers. Ctrl-C
 * while it is under way does not drop a token plex.tv issued: without `again`, the answer (one request, the password
 * sign-in, which plex.tv may have answered already) is let finish; with `again`, for an answer that is a long wait
 * (the PIN's poll), the wait ends at once and `again` asks plex.tv once more (an approved PIN hands out its token
 * again; one not approved says how long it has left, `expiresIn`). Either for at most
 * {@link Render.unsavedRevokeWaitMillis}; a token so obtained is the CLI's, as one answered before Ctrl-C (`login`
 * revokes it).
 */
type Hold = <E, R, R2 = never>(
  answer: Effect.Effect<Redacted.Redacted<string>, E, R>,
  again?: Effect.Effect<
    { readonly authToken?: Redacted.Redacted<string> | undefined; readonly expiresIn?: number | undefined },
    unknown,
    R2
  >
) => Effect.Effect<Redacted.Redacted<string>, E, R | R2>

/**
 * Why `login` is left without a token plex.tv may have issued ({@link signInThenSave}'s `unanswered`): the password
 * sign-in given up unanswered after Ctrl-C, or failed, after Ctrl-C or not (`interrupted`; `error`: the failure, which
 * may prove no token was issued unless the sign-in was `redirected`: Render.signInFailureProvesNoToken), or the PIN's
 * one check after Ctrl-C failed (`error`) or went unanswered (`undefined`), or found the PIN not approved
 * (`PinPending`: it can be still, for `expiresIn` seconds when plex.tv said), or the PIN's wait failed without Ctrl-C
 * (`PinFailed`: `error`, which says whether the PIN may live on: Render.pinWaitFailedText).
 */
export type Lost =
  | {
      readonly _tag: "SignInUnanswered"
      /** plex.tv redirected the sign-in (as SignInFailed's): the page it went on to is what did not answer. */
      readonly redirected: boolean
      /** plex.tv answered the sign-in with this 2xx (it issued a token), the rest of the answer not in: absent else. */
      readonly accepted?: number
    }
  | {
      readonly _tag: "SignInFailed"
      readonly error: unknown
      readonly redirected: boolean
      /** After Ctrl-C; else the failure ends `login` (its error said after what `unanswered` says). */
      readonly interrupted: boolean
      /** As SignInUnanswered's: the failure came after plex.tv's 2xx, its body not read. */
      readonly accepted?: number
    }
  | {
      readonly _tag: "PinUnchecked"
      readonly error: unknown
      /** Unanswered (no `error`), but plex.tv answered the check with this 2xx, the rest not in: absent else. */
      readonly accepted?: number
    }
  | { readonly _tag: "PinPending"; readonly expiresIn: number | undefined }
  | { readonly _tag: "PinFailed"; readonly error: unknown }

/**
 * The token `signIn` obtains, saved by `save`. The token is the CLI's from the moment plex.tv answers with it: `hold`,
 * wrapped around the request that answers, records it before anything else runs (uninterruptibly: what follows the
 * answer, as the progress line's finalizer, would otherwise let a Ctrl-C drop it), and a failure or an interruption
 * (Ctrl-C) anywhere from then until `save` ends runs `unsaved` with it, which decides what to do (`login`: what
 * follows the save when the store's change was made, else revoke it unless the store holds it). A sign-in request
 * Ctrl-C gave up unanswered ({@link Render.unsavedRevokeWaitMillis}) or that failed (after it or not), or a PIN check
 * after it that failed, went unanswered or found the PIN not approved, or a PIN's wait that failed, runs `unanswered`
 * with why ({@link Lost}; `login`: says that plex.tv may have issued a token it does not know, unless the failure
 * proves it did not, or that the PIN can still be approved). As src/bin/internal/commands.ts has it.
 */
export const signInThenSave = <A, E, R, E2, R2, R3, R4 = never>(
  signIn: (hold: Hold) => Effect.Effect<Redacted.Redacted<string>, E, R>,
  save: (token: Redacted.Redacted<string>) => Effect.Effect<A, E2, R2>,
  unsaved: (token: Redacted.Redacted<string>, cause: Cause.Cause<E | E2>) => Effect.Effect<void, never, R3>,
  unanswered: (lost: Lost) => Effect.Effect<void, never, R4> = () => Effect.void
): Effect.Effect<readonly [Redacted.Redacted<string>, A], E | E2, R | R2 | R3 | R4> =>
  Effect.suspend(() => {
    let obtained: Redacted.Redacted<string> | undefined
    let lost: Lost | undefined
    const record = (token: Redacted.Redacted<string>) =>
      Effect.sync(() => {
        obtained = token
      })
    const lose = (what: Lost) =>
      Effect.sync(() => {
        lost = what
      })
    const within = Duration.millis(Render.unsavedRevokeWaitMillis)
    // Whether the password sign-in (the last one: a two-factor code's is a second) was redirected after a server acted
    // on it: set by `watched`'s client, the one in the context (the CLI's, a test's) with a look at each request sent.
    let redirected = false
    // The 2xx status plex.tv answered the sign-in (the POST) with, once its status came, its body perhaps not: it issued
    // a token, so the sign-in is said answered, not "did not answer" (none while a POST, a retry too, waits).
    let accepted: number | undefined
    const answeredWith = () => (accepted === undefined ? {} : { accepted })
    // `method`: the request's (the sign-in's POST, the PIN check's GET); one of another method is a redirect's hop.
    const watched = <A, E, R>(answer: Effect.Effect<A, E, R>, method = "POST") =>
      Effect.flatMap(Effect.serviceOption(HttpClient.HttpClient), (client) => {
        redirected = false
        accepted = undefined
        return Option.isNone(client)
          ? answer
          : Effect.provideService(
              answer,
              HttpClient.HttpClient,
              HttpClient.tapRequest(client.value, (request) =>
                Effect.sync(() => {
                  if (request.method !== method) redirected = true
                  else accepted = undefined
                })
              ).pipe(
                HttpClient.tap((response) =>
                  Effect.sync(() => {
                    if (response.request.method === method && response.status >= 200 && response.status < 300)
                      accepted = response.status
                  })
                )
              )
            )
      })
    const hold: Hold = (answer, again) =>
      Effect.uninterruptibleMask((restore) =>
        again !== undefined
          ? // A wait (the PIN's poll): ended at once by Ctrl-C, then plex.tv asked once more.
            Effect.tap(restore(answer), record).pipe(
              // Failed without Ctrl-C (a check refused, not ridden out): the PIN may live on, `unanswered` judges.
              Effect.tapError((error) => lose({ _tag: "PinFailed", error })),
              Effect.onInterrupt(() =>
                // Watched as the sign-in is: a 2xx whose body had not come by then is said answered (`accepted`).
                Effect.interruptible(watched(again, "GET")).pipe(
                  Effect.timeoutOption(within),
                  Effect.flatMap((pin) =>
                    Option.isNone(pin)
                      ? lose({ _tag: "PinUnchecked", error: undefined, ...answeredWith() })
                      : pin.value.authToken !== undefined
                        ? record(pin.value.authToken)
                        : lose({ _tag: "PinPending", expiresIn: pin.value.expiresIn })
                  ),
                  Effect.catch((error) => lose({ _tag: "PinUnchecked", error }))
                )
              )
            )
          : // One request (the password sign-in): run apart, so that Ctrl-C lets it finish, its token recorded. The
            // request and the waits stay interruptible (restore, Effect.interruptible) in this uninterruptible region and
            // its finalizer: else the 5 s bound could not cut them short (Effect 3's timeout waits for what it cannot
            // interrupt). A request it sends through the client that is no POST is a redirect's hop after a server acted
            // on the sign-in (a 303, a 301/302: core/policy.ts nextHop's `toGet`), whose page's answer proves nothing.
            Effect.flatMap(Effect.forkDetach(restore(watched(answer))), (fiber) =>
              Effect.tap(restore(Fiber.join(fiber)), record).pipe(
                // Failed without Ctrl-C: perhaps after plex.tv issued a token all the same, `unanswered` judges.
                Effect.tapError((error) =>
                  lose({ _tag: "SignInFailed", error, redirected, interrupted: false, ...answeredWith() })
                ),
                Effect.onInterrupt(() =>
                  Effect.flatMap(
                    Effect.timeoutOption(Effect.interruptible(Fiber.await(fiber)), within),
                    (exit) =>
                      Option.isNone(exit)
                        ? // Given up: plex.tv may have issued a token all the same, unknown here (`unanswered`).
                          Effect.flatMap(Fiber.interrupt(fiber), () =>
                            lose({ _tag: "SignInUnanswered", redirected, ...answeredWith() })
                          )
                        : Exit.isSuccess(exit.value)
                          ? record(exit.value.value)
                          : // Failed: perhaps after plex.tv issued a token (a broken connection), `unanswered` judges.
                            lose({
                              _tag: "SignInFailed",
                              error: Cause.squash(exit.value.cause),
                              redirected,
                              interrupted: true
                            })
                  )
                )
              )
            )
      )
    return Effect.flatMap(signIn(hold), (token) =>
      Effect.map(save(token), (saved) => [token, saved] as const)
    ).pipe(
      Effect.onError((cause): Effect.Effect<void, never, R3 | R4> =>
        obtained !== undefined
          ? unsaved(obtained, cause)
          : lost !== undefined
            ? unanswered(lost)
            : Effect.void
      )
    )
  })

/**
 * The revocation of the token `login` obtained and did not save (the store failed, or Ctrl-C: `interrupted`), waiting
 * for plex.tv at most {@link Render.unsavedRevokeWaitMillis}; what `login` says of it. It runs in
 * {@link signInThenSave}'s `unsaved`, a finalizer, uninterruptible: the request is made interruptible, as the Effect 3
 * edition must (its timeout waits for what it cannot interrupt: a plex.tv that did not answer held the exit for the
 * per-attempt timeout, 30 s, and its retries); Effect 4's timeout ends it there too. As src/bin/internal/commands.ts
 * has it.
 */
export const revokeUnsaved = (token: Redacted.Redacted<string>, interrupted: boolean) =>
  Effect.suspend(() => {
    const answer = revocation()
    return PlexAuth.signOut().pipe(
      Credentials.withToken(token),
      answer.watch,
      Effect.as(undefined),
      // Failed: said "may still be valid" unless the failure proves plex.tv did not act (policy.ts outcomeUnknown);
      // refused as invalid (401, 422 "Invalid token", 498: refreshRun.ts tokenRefusedBy), said not valid either.
      Effect.catch((error) =>
        Effect.succeed(
          error._tag === "Unauthorized" && tokenRefusedBy(error.status)
            ? ([undefined, "invalid"] as const)
            : ([fromPlexError(error).message, outcomeUnknown(error, neverReachedServer in error)] as const)
        )
      ),
      Effect.interruptible,
      Effect.timeoutOption(Duration.millis(Render.unsavedRevokeWaitMillis)),
      Effect.map((failure) =>
        Option.isSome(failure)
          ? Render.unsavedTokenText(failure.value?.[0], interrupted, failure.value?.[1])
          : // Cut short: revoked once plex.tv accepted it (a 2xx from where the token went, its body not in:
            // internal/revocation.ts `accepted`); else unanswered within the 5 s, perhaps after plex.tv revoked it.
            Render.unsavedTokenText(
              answer.accepted() ? undefined : Render.unsavedRevokeTimeoutText,
              interrupted,
              true
            )
      )
    )
  })

/** What a revocation of an old token `login` makes after the save came to: refused (401, 422: invalid already), failed (why). */
export type OldTokenRevoked = "revoked" | "refused" | { readonly failure: string }

/**
 * The revocations `login` makes after the save (afterSave, run apart by {@link letFinish}): `revoke` revokes the token
 * it replaced (`"replaced"`) or the token asked about that another login replaced meanwhile (`"asked"`), plex.tv's
 * answer to each watched (internal/revocation.ts); `abandoned` is what is said when the 5 s after Ctrl-C gave them up
 * (letFinish's `abandoned`), given whether the asked one's revocation was to follow the replaced one's (`askedNext`:
 * never made then), and what became of the replaced one (`previous`, none when it is known already). The one under way
 * is said not revoked, unless plex.tv had accepted it (a 2xx, its body not in when the 5 s ran out): revoked
 * (internal/revocation.ts `accepted`). As src/bin/internal/commands.ts has it.
 */
export const oldTokenRevocations = () => {
  const answered = { replaced: revocation(), asked: revocation() }
  // The revocation afterSave waits for, should Ctrl-C give it up, each said as its own.
  let revoking: "replaced" | "asked" | undefined
  const revoke = (which: "replaced" | "asked", token: Redacted.Redacted<string>) =>
    Effect.suspend(() => {
      revoking = which
      return PlexAuth.signOut().pipe(
        Credentials.withToken(token),
        answered[which].watch,
        Effect.as<OldTokenRevoked>("revoked"),
        Effect.catch((error) =>
          Effect.succeed<OldTokenRevoked>(
            error._tag === "Unauthorized" && tokenRefusedBy(error.status)
              ? "refused"
              : { failure: fromPlexError(error).message }
          )
        )
      )
    })
  const abandoned = (
    askedNext: boolean
  ): {
    readonly previous: "revoked" | "revoke-failed" | undefined
    readonly lines: ReadonlyArray<string>
  } => {
    // The token asked about said not revoked, and the replaced one's fate (previous) kept, as it was known.
    if (revoking === "asked") {
      return {
        previous: undefined,
        lines: [
          Render.askedTokenRevokedText(
            answered.asked.accepted() ? "revoked" : { failure: Render.revokeCutShortText }
          )
        ]
      }
    }
    // The token asked about, whose revocation was to follow that one's, never revoked: said so.
    const notSent = askedNext ? [Render.askedTokenRevokedText({ failure: Render.revokeNotSentText })] : []
    // The token it replaced not said revoked (savedThenInterruptedText), as revokeAbandonedText says.
    return revoking === "replaced" && answered.replaced.accepted()
      ? { previous: "revoked", lines: notSent }
      : { previous: "revoke-failed", lines: [Render.revokeAbandonedText, ...notSent] }
  }
  return { revoke, abandoned }
}

/**
 * What `login` says of a token Ctrl-C may have left behind, unknown to it ({@link Lost}): nothing when the sign-in's
 * failure proves plex.tv issued none (Render.signInFailureProvesNoToken: 401 wrong password, 2FA asked). As
 * src/bin/internal/commands.ts has it.
 */
export const lostTokenText = (lost: Lost): string | undefined => {
  // A failure that is no PlexError (a defect) is not shown: it could carry anything.
  const failure = (error: unknown) =>
    PlexError.isPlexError(error) ? fromPlexError(error).message : "an unexpected error"
  switch (lost._tag) {
    case "SignInUnanswered":
      // plex.tv answered (a 2xx: it issued a token), its body, the token in it, not in when the 5 s ran out.
      return lost.accepted !== undefined
        ? Render.signInAnswerUnreadText(lost.accepted, true)
        : lost.redirected
          ? Render.signInRedirectUnansweredText
          : Render.signInAbandonedText
    case "SignInFailed":
      return lost.accepted !== undefined && !lost.interrupted
        ? Render.signInAnswerUnreadText(lost.accepted, false)
        : PlexError.isPlexError(lost.error) &&
            Render.signInFailureProvesNoToken(lost.error, neverReachedServer in lost.error, lost.redirected)
          ? undefined
          : lost.interrupted
            ? Render.signInFailedAfterInterruptText(failure(lost.error))
            : Render.signInFailedText
    case "PinUnchecked":
      return Render.pinUncheckedText(
        lost.error === undefined ? undefined : failure(lost.error),
        lost.accepted
      )
    case "PinPending":
      return Render.pinPendingText(lost.expiresIn)
    case "PinFailed":
      return PlexError.isPlexError(lost.error) ? Render.pinWaitFailedText(lost.error) : undefined
  }
}

/**
 * `effect` (the revocation of a token saved nowhere, the old one `login` replaced), run apart: Ctrl-C while it runs
 * lets it finish, for at most {@link Render.unsavedRevokeWaitMillis}, then ends it and runs `abandoned`. Ended at
 * once, its request aborted, it would leave that token valid, held by nothing, and nothing said. As the password
 * sign-in's {@link Hold}: the effect and the wait are interruptible (Effect 3's timeout waits for what it cannot
 * interrupt), made so, not restored: `login` calls it where Ctrl-C is held off (from the save's end, so that no Ctrl-C
 * falls between the save and the revocations), and it keeps its bound there; a Ctrl-C held off ends the wait at once. As src/bin/internal/commands.ts has it.
 */
export const letFinish = <E, R, R2 = never>(
  effect: Effect.Effect<void, E, R>,
  abandoned: Effect.Effect<void, never, R2> = Effect.void
): Effect.Effect<void, E, R | R2> =>
  Effect.uninterruptible(
    Effect.flatMap(Effect.forkDetach(Effect.interruptible(effect)), (fiber) =>
      Effect.interruptible(Fiber.join(fiber)).pipe(
        Effect.onInterrupt(() =>
          Effect.flatMap(
            Effect.timeoutOption(
              Effect.interruptible(Fiber.await(fiber)),
              Duration.millis(Render.unsavedRevokeWaitMillis)
            ),
            (exit) => (Option.isNone(exit) ? Effect.andThen(Fiber.interrupt(fiber), abandoned) : Effect.void)
          )
        )
      )
    )
  )

const pinLogin = (session: Session, options: { readonly linkCode: boolean; readonly hold: Hold }) =>
  Effect.gen(function* () {
    // The sign-in link and the code are instructions, not the result: on stderr, with or without --json, so that
    // stdout holds the result alone (`Logged in as ...`, or the JSON document) for a script that captures it.
    const tell = say
    const pin = yield* PinLogin.create({ strong: !options.linkCode })
    const fake =
      session.fake === undefined
        ? undefined
        : {
            approves: !session.scenarios.has("expire-pin"),
            // What the fake's PINs were started to live (startFake reads the same), not a fixed 2 seconds.
            pinLifetimeMillis: Duration.toMillis(yield* FakePinLifetime),
            page: Render.pinLinkPage(session.fake.plexTvUrl)
          }
    // Under --fake, the fake's own sign-in page: app.plex.tv knows nothing of the fake's PINs.
    const url = yield* PinLogin.authUrl(pin, { authAppUrl: fake?.page ?? session.authAppUrl })
    yield* tell(Render.pinLinkText(url, fake))
    if (options.linkCode) {
      const plexTv = yield* PlexTv.PlexTv
      yield* tell(
        `${Render.linkCodeText(pin.code, { fake: session.fake !== undefined, plexTvUrl: plexTv.url })}\n`
      )
    }
    return yield* withProgress(Render.pinWaitLabel)(options.hold(PinLogin.poll(pin), PinLogin.check(pin)))
  })

const passwordLogin = (options: {
  readonly login: Option.Option<string>
  readonly rememberMe: boolean
  readonly hold: Hold
}) =>
  Effect.gen(function* () {
    const login = Option.isSome(options.login)
      ? options.login.value
      : yield* ask(
          Prompt.String({ message: Render.loginQuestion, validate: nonEmpty("The login") }),
          "pass --login"
        )
    const fromEnv = yield* secretFromEnv("PLEX_PASSWORD")
    const passwordFrom = Option.isSome(fromEnv) ? "variable" : "prompt"
    const password = Option.isSome(fromEnv)
      ? fromEnv.value
      : yield* ask(
          Prompt.Password({ message: "Password", validate: nonEmpty("The password") }),
          "set PLEX_PASSWORD"
        )
    // The CLI asks for a long-lived session, as python-plexapi and plex-rs do
    // (rememberMe=true), unless --no-remember-me; the library's own default stays false.
    // An input the library refuses is named after where it came from (`Invalid PLEX_2FA_CODE: ...`).
    const sources = {
      login: Option.isSome(options.login) ? "option" : "prompt",
      password: passwordFrom
    } as const
    const signIn = (verificationCode: Redacted.Redacted<string> | undefined, code: "variable" | "prompt") =>
      options
        .hold(
          Effect.map(
            PlexAuth.signIn({ login, password, rememberMe: options.rememberMe, verificationCode }),
            (account) => account.authToken
          )
        )
        .pipe(
          Effect.catchTag("InvalidInput", (error) =>
            Effect.fail(
              usage(
                Core.invalidMessage(Core.signInInputName(error.field, { ...sources, code }), error.reason)
              )
            )
          )
        )
    return yield* signIn(Option.getOrUndefined(yield* secretFromEnv("PLEX_2FA_CODE")), "variable").pipe(
      Effect.catchTag("VerificationCodeRequired", () =>
        Effect.flatMap(
          ask(
            Prompt.Password({
              message: Render.twoFactorQuestion,
              validate: (value) =>
                value.trim().length > 0 ? Effect.succeed(value.trim()) : Effect.fail("The code, please")
            }),
            "set PLEX_2FA_CODE"
          ),
          (code) => signIn(code, "prompt")
        )
      ),
      Effect.catchTag("Unauthorized", (error) =>
        Effect.fail(
          new CliFailure({
            message: Render.signInRefusedMessage(error),
            exitCode: ExitCode.Unauthorized
          })
        )
      )
    )
  })

const login = Command.make(
  "login",
  {
    password: Flag.Boolean("password").pipe(Flag.withDescription(Help.password), Flag.withDefault(false)),
    login: Flag.String("login").pipe(
      Flag.withMetavar("email-or-username"),
      Flag.withDescription(Help.login),
      Flag.optional
    ),
    linkCode: Flag.Boolean("link-code").pipe(Flag.withDescription(Help.linkCode), Flag.withDefault(false)),
    noRememberMe: Flag.Boolean("no-remember-me").pipe(
      Flag.withDescription(Help.noRememberMe),
      Flag.withDefault(false)
    ),
    oldToken: Flag.Literals("old-token", ["revoke", "keep"] as const).pipe(
      Flag.withDescription(Help.oldToken),
      Flag.optional
    )
  },
  (options) =>
    run(
      (session) =>
        Effect.gen(function* () {
          const problem =
            Render.loginOptionsProblem({ ...options, login: Option.isSome(options.login) }) ??
            Render.loginValueProblem(Option.getOrUndefined(options.login))
          if (problem !== undefined) return yield* usage(problem)
          const saved = yield* Effect.mapError(session.store.get(session.tokenKey), fromStoreError)
          const before = saved === undefined || saved.length === 0 ? undefined : Redacted.make(saved)
          let previous: Render.Previous = "none"
          let decision: "revoke" | "keep" | undefined
          if (before !== undefined) {
            const validity = yield* Credentials.validate.pipe(Credentials.withToken(before), Effect.orDie)
            if (validity._tag === "Invalid") {
              previous = "invalid"
              yield* say(Render.savedTokenRefusedText)
            } else {
              yield* say(
                Render.alreadyLoggedInText(
                  validity._tag === "Valid" ? Core.describeAccount(validity.account) : undefined
                )
              )
              decision = Option.isSome(options.oldToken)
                ? options.oldToken.value
                : yield* ask(
                    Prompt.Confirm({
                      message: Render.revokeOldQuestion,
                      initial: false
                    }),
                    Render.oldTokenChoice
                  ).pipe(Effect.map((revoke): "revoke" | "keep" => (revoke ? "revoke" : "keep")))
            }
          }
          // Whether the revocation of the token asked about follows that of the token it replaced (askedNext): given
          // up during that one, it is never made.
          let askedNext = false
          // What follows the save: the open-directory note, the note on a token another login saved meanwhile, the
          // revocations; run apart (letFinish), Ctrl-C letting it finish, 5 s at most.
          const afterSave = (
            token: Redacted.Redacted<string>,
            replaced: Redacted.Redacted<string> | undefined
          ) => {
            const revocations = oldTokenRevocations()
            return letFinish(
              Effect.gen(function* () {
                yield* sayOpenDirectory(session)
                const outcome = Render.replacedTokenOutcome({
                  before: before === undefined ? undefined : Redacted.value(before),
                  beforeInvalid: previous === "invalid",
                  decision,
                  oldToken: Option.getOrUndefined(options.oldToken),
                  replaced: replaced === undefined ? undefined : Redacted.value(replaced),
                  token: Redacted.value(token)
                })
                if (outcome.note !== undefined) yield* say(outcome.note)
                previous = outcome.previous
                askedNext = outcome.revokeAsked === true && before !== undefined
                if (outcome.revoke && replaced !== undefined) {
                  // Refused (401, 422): not valid any more, revoked or signed out meanwhile by someone else (a
                  // login that replaced that token too and revoked it as the token it was asked about, revokeAsked
                  // below; the account's page at plex.tv): said so, not said revoked by this login (previous
                  // "invalid", as for a token refused as it started).
                  const revoked = yield* revocations.revoke("replaced", replaced)
                  if (revoked !== "revoked") {
                    yield* say(
                      revoked === "refused"
                        ? Render.oldTokenInvalidText
                        : Render.revokeOldFailedText(revoked.failure)
                    )
                  }
                  previous =
                    revoked === "revoked" ? "revoked" : revoked === "refused" ? "invalid" : "revoke-failed"
                }
                // The token the user answered "revoke" about (or passed --old-token revoke), replaced meanwhile by
                // another login: the user's, saved nowhere, and valid unless that login revoked it
                // (Render.replacedTokenOutcome).
                if (outcome.revokeAsked === true && before !== undefined) {
                  yield* say(Render.askedTokenRevokedText(yield* revocations.revoke("asked", before)))
                }
              }),
              // Given up: what is said of the revocation under way (oldTokenRevocations), and the replaced token's fate.
              Effect.suspend(() => {
                const given = revocations.abandoned(askedNext)
                if (given.previous !== undefined) previous = given.previous
                return Effect.forEach(given.lines, (text) => say(text), { discard: true })
              })
            )
          }
          // The change that saved the token, once made (swapToken's `saved`): known even to a save Ctrl-C interrupted.
          let swapped: { readonly replaced: Redacted.Redacted<string> | undefined } | undefined
          // Saved in one change under the store's lock, which says which token it replaced: the one read above, or one
          // another login saved meanwhile (Render.replacedTokenOutcome), none of them left unrevoked unawares. Not
          // saved (the store failed, or Ctrl-C from the sign-in's answer on): the new token is revoked, never left
          // valid and held by nothing. Saved: afterSave runs from the save's end, where Ctrl-C is held off
          // (uninterruptibleMask, the sign-in and the save restored), or from `unsaved` with the token the change
          // replaced (swapped) when Ctrl-C came once the store's lock was taken (the change runs to its end). A Ctrl-C
          // between the save and the revocations left the old token valid, saved nowhere, and nothing said.
          // Ctrl-C once the change that saved the token was made (`swapped`): exit 130 all the same, but said that the token
          // is saved (and what became of the old one), so that the user does not sign in again needlessly.
          return yield* Effect.gen(function* () {
            const [token] = yield* Effect.uninterruptibleMask((restore) =>
              Effect.tap(
                restore(
                  signInThenSave(
                    (
                      hold
                    ): Effect.Effect<
                      Redacted.Redacted<string>,
                      CliFailure,
                      Effect.Services<ReturnType<typeof passwordLogin | typeof pinLogin>>
                    > =>
                      options.password
                        ? plexFailure(
                            passwordLogin({ login: options.login, rememberMe: !options.noRememberMe, hold })
                          )
                        : plexFailure(pinLogin(session, { linkCode: options.linkCode, hold })),
                    (token) =>
                      session.swapToken(token, (replaced) => {
                        swapped = { replaced }
                      }),
                    // On a failure and on an interruption alike (Ctrl-C after the sign-in answered, or while the save
                    // waits for the store's lock). The change made (Ctrl-C once the lock was taken: the change runs to
                    // its end, and once the file is replaced it cannot fail): what follows the save, as below, from what
                    // the change answered, not from a read of the file, which another login may have changed since. Not
                    // made: the new token is revoked, bounded (Render.unsavedRevokeWaitMillis): Ctrl-C waits for it.
                    (token, cause) =>
                      swapped !== undefined
                        ? afterSave(token, swapped.replaced)
                        : Effect.flatMap(revokeUnsaved(token, Cause.hasInterruptsOnly(cause)), say),
                    // A token plex.tv may have issued, unknown here (the sign-in given up or failed), or a PIN still
                    // approvable.
                    (lost) => {
                      const text = lostTokenText(lost)
                      return text === undefined ? Effect.void : say(text)
                    }
                  )
                ),
                ([token, replaced]) => afterSave(token, replaced)
              )
            )
            const account = yield* PlexAuth.account().pipe(Credentials.withToken(token), Effect.option)
            if (session.fake !== undefined) {
              // Whose token is saved: the next --fake run seeds it on that account (FakeSeed.fakeAccounts).
              const user = FakeSeed.fakeLoggedInUser(Option.getOrUndefined(account)?.username)
              yield* Effect.mapError(
                user === undefined
                  ? session.store.remove(FakeSeed.fakeUserKey)
                  : session.store.set(FakeSeed.fakeUserKey, user),
                fromStoreError
              )
            }
            if (session.json) {
              return yield* json({
                account: Option.isSome(account) ? Core.accountJson(account.value) : null,
                file: session.file,
                previous
              })
            }
            const name = Option.isSome(account) ? Core.describeAccount(account.value) : undefined
            yield* line(Render.loggedInText(name, session.file, previous).join("\n"))
          }).pipe(
            Effect.onInterrupt(() =>
              swapped === undefined
                ? Effect.void
                : say(Render.savedThenInterruptedText(session.file, previous))
            )
          )
        }),
      { authAppVariable: !options.password }
    )
).pipe(Command.withDescription(Help.loginCommand))

// ---------------------------------------------------------------------------
// whoami
// ---------------------------------------------------------------------------

const whoami = Command.make("whoami", {}, () =>
  signedIn((session) =>
    Effect.gen(function* () {
      const validity = yield* Credentials.validate
      switch (validity._tag) {
        case "Valid":
          return yield* session.json
            ? json(Core.accountJson(validity.account))
            : line(Core.whoamiText(validity.account))
        // A refused token (Invalid: Unauthorized) is worded where every other command's is (core/cli/failure.ts
        // failureOf), as is a check that could not be made.
        case "Invalid":
        case "Unknown":
          return yield* fromPlexError(validity.error)
      }
    })
  )
).pipe(Command.withDescription(Help.whoamiCommand))

// ---------------------------------------------------------------------------
// servers
// ---------------------------------------------------------------------------

const servers = Command.make("servers", {}, () =>
  signedIn((session) =>
    Effect.gen(function* () {
      const list = yield* plexFailure(Resources.servers())
      if (list.length === 0) {
        return yield* session.json ? json({ servers: [] }) : line(Render.noServerText)
      }
      const results = yield* withProgress(Render.probingLabel(list.length))(
        Effect.forEach(list, (server) => Effect.result(Resources.connect(server)), {
          concurrency: "unbounded"
        })
      )
      const shown = list.map((server, i): Render.ServerResult => {
        const result = results[i]
        const error = result !== undefined && Result.isFailure(result) ? result.failure : undefined
        return {
          server,
          connected: result !== undefined && Result.isSuccess(result) ? result.success : undefined,
          error:
            error === undefined
              ? undefined
              : {
                  kind: error._tag,
                  attempts: error._tag === "NoReachableConnection" ? error.attempts : [],
                  ...Core.failureOf(error)
                }
        }
      })
      yield* session.json
        ? json({ servers: shown.map(Render.serverJson) })
        : line(shown.map(Render.serverText).join("\n\n"))
    })
  )
).pipe(Command.withDescription(Help.serversCommand))

// ---------------------------------------------------------------------------
// token transient
// ---------------------------------------------------------------------------

/**
 * A transient token: from `--server <url>` with the saved token; from the
 * account's server named `--server <name>`, or without `--server` its own
 * server (else the first shared with it), found through plex.tv and asked
 * with that server's own token.
 */
const transientToken = (given: Option.Option<string>, from: Core.GivenBy) =>
  Effect.gen(function* () {
    const server = Option.map(given, Render.serverArg)
    // The server refusing the token it was asked with is said so, not "Plex refused the saved token".
    const ask = (uri: string, byUrl: boolean) =>
      PlexAuth.transientToken({ type: "delegation", scope: "all" }).pipe(
        Effect.catchTag("Unauthorized", (error) =>
          Effect.fail(
            tokenRefusedBy(error.status)
              ? new CliFailure({
                  message: Render.transientRefusedMessage(Core.originOf(uri), error.status, byUrl),
                  exitCode: ExitCode.Unauthorized
                })
              : error
          )
        )
      )
    if (Option.isSome(server) && Render.isUrl(server.value)) {
      return yield* ask(server.value, true).pipe(
        PlexServer.withUrl(server.value),
        Effect.catchTag("InvalidInput", (error) =>
          Effect.fail(
            usage(Core.invalidMessage(Core.givenBy(from, "--server URL", "PLEX_SERVER_URL"), error.reason))
          )
        )
      )
    }
    const connected = yield* withProgress("Finding the server")(
      Effect.gen(function* () {
        if (Option.isSome(server)) {
          // A name plex.tv cannot know (blank): named after where it came from, as the URL above.
          return yield* Resources.connectByName(server.value).pipe(
            Effect.catchTag("InvalidInput", (error) =>
              Effect.fail(
                usage(Core.invalidMessage(Core.givenBy(from, "--server", "PLEX_SERVER_URL"), error.reason))
              )
            )
          )
        }
        const list = yield* Resources.servers()
        const chosen = list.find((candidate) => candidate.owned) ?? list[0]
        if (chosen === undefined) {
          return yield* new CliFailure({ message: Render.noServerText, exitCode: ExitCode.Generic })
        }
        return yield* Resources.connect(chosen)
      })
    )
    return yield* Effect.provide(ask(connected.uri, false), connected.layer)
  })

/** `PLEX_SERVER_URL`, for `--server` when it is not given (blank: unset, as in the Effect 3 CLI). */
const serverFromEnv = Config.option(Config.String("PLEX_SERVER_URL")).pipe(
  Effect.map(Option.filter(Render.envSet)),
  Effect.orElseSucceed(() => Option.none<string>())
)

const transient = Command.make(
  "transient",
  {
    server: Flag.String("server").pipe(
      Flag.withMetavar("url-or-name"),
      Flag.withDescription(Help.server),
      Flag.optional
    )
  },
  (options) =>
    signedIn((session) =>
      Effect.gen(function* () {
        const server = Option.isSome(options.server) ? options.server : yield* serverFromEnv
        const from = Option.isSome(options.server) ? "option" : "variable"
        const token = yield* plexFailure(transientToken(server, from))
        // The one secret this CLI prints: on stdout, alone (or alone in its JSON document), for a pipe.
        yield* session.json ? json({ token: Redacted.value(token.token) }) : line(Redacted.value(token.token))
      })
    )
).pipe(Command.withDescription(Help.transientCommand))

// Alone, a usage error (exit 2) as `plex-auth` alone, not its help.
const token = Command.make("token", {}, () =>
  Effect.fail(usage(Render.missingSubcommandMessage("token")))
).pipe(Command.withDescription(Help.tokenCommand), Command.withSubcommands([transient]))

// ---------------------------------------------------------------------------
// logout
// ---------------------------------------------------------------------------

const logout = Command.make(
  "logout",
  {
    local: Flag.Boolean("local").pipe(Flag.withDescription(Help.local), Flag.withDefault(false))
  },
  (options) => {
    // Nothing saved: nothing written, nothing to do; said on stderr, with why a PLEX_TOKEN set is still valid.
    const nothingSaved = (asJson: boolean) =>
      Effect.gen(function* () {
        const plexToken = yield* plexTokenSet
        const text = Render.logoutText({
          revoked: false,
          forgotten: false,
          local: options.local,
          plexTokenSet: plexToken
        })
        if (!asJson) return yield* say(text)
        yield* json({ revoked: false, forgotten: false })
        if (plexToken) yield* say(Render.plexTokenNotRevokedText)
      })
    return run(
      (session) =>
        Effect.gen(function* () {
          const done = (result: { readonly revoked: boolean; readonly forgotten: boolean }) => {
            const text = Render.logoutText({ ...result, local: options.local })
            return session.json ? json(result) : line(text)
          }
          const saved = yield* Effect.mapError(session.store.get(session.tokenKey), fromStoreError)
          // Removed since the session read the file (another process): nothing to do, as with none at the start.
          if (saved === undefined) return yield* nothingSaved(session.json)
          // What the token's sign-out leaves of this session in the file (render.ts logoutRemovals).
          const forget = Effect.mapError(
            Effect.flatMap(session.store.get(session.tokenKey), (current) =>
              Effect.forEach(
                Render.logoutRemovals({
                  tokenKey: session.tokenKey,
                  saved,
                  current,
                  fake: session.fake !== undefined
                }),
                (key) => session.store.remove(key),
                { discard: true }
              )
            ),
            fromStoreError
          )
          if (options.local) {
            yield* forget
            return yield* done({ revoked: false, forgotten: true })
          }
          // plex.tv's answer to the revocation, its status in (internal/revocation.ts `accepted`): should Ctrl-C come once it accepted it.
          const answer = revocation()
          const revoke = PlexAuth.signOut().pipe(
            Credentials.withToken(saved),
            answer.watch,
            Effect.as(true),
            // Refused (401, 422 "Invalid token", 498): invalid already. A 403 refuses no token (core/refreshRun.ts
            // tokenRefusedBy): the token may be valid, so it is not forgotten unrevoked but kept, and the failure said.
            Effect.catchIf(
              (error) => error._tag === "Unauthorized" && tokenRefusedBy(error.status),
              () => Effect.succeed(false)
            ),
            Effect.mapError((error) => {
              const failure = Core.failureOf(error)
              return new CliFailure({
                message: Render.logoutFailedMessage(failure.message, error),
                exitCode: failure.exitCode
              })
            })
          )
          // Ctrl-C once plex.tv accepted the revocation (a 2xx, its body perhaps not in): the token is revoked, as
          // PlexAuth.signOut counts it, so it is forgotten all the same (at most 5 s: a store another program holds
          // does not hold the exit; again, harmlessly, if Ctrl-C came after `forget`), and said. Exit 130 all the same.
          // As src/bin/internal/commands.ts has it.
          const forgetRevoked = Effect.as(forget, undefined).pipe(
            Effect.catch((error) => Effect.succeed(error.message)),
            Effect.interruptible,
            Effect.timeoutOption(Duration.millis(Render.unsavedRevokeWaitMillis)),
            Effect.flatMap((failure) =>
              say(
                Render.logoutInterruptedText(Option.getOrElse(failure, () => Render.logoutForgetTimeoutText))
              )
            )
          )
          yield* Effect.flatMap(revoke, (revoked) =>
            Effect.andThen(forget, done({ revoked, forgotten: true }))
          ).pipe(Effect.onInterrupt(() => (answer.accepted() ? forgetRevoked : Effect.void)))
        }),
      { nothingSaved }
    )
  }
).pipe(Command.withDescription(Help.logoutCommand))

// ---------------------------------------------------------------------------
// fake-server
// ---------------------------------------------------------------------------

/** `PLEX_AUTH_APP_URL`, set and not blank (`fake-server` only says it does not use it). */
const authAppFromEnv = Config.option(Config.String("PLEX_AUTH_APP_URL")).pipe(
  Effect.map(Option.filter(Render.envSet)),
  Effect.orElseSucceed(() => Option.none<string>())
)

/** `PLEX_TV_URL`, set and not blank (`fake-server` only says it does not use it). */
const plexTvFromEnv = Config.option(Config.String("PLEX_TV_URL")).pipe(
  Effect.map(Option.filter(Render.envSet)),
  Effect.orElseSucceed(() => Option.none<string>())
)

const fakeServer = Command.make(
  "fake-server",
  {
    approvePinsAfter: Flag.Int("approve-pins-after").pipe(
      Flag.withMetavar("seconds"),
      Flag.withDescription(Help.approvePinsAfter),
      Flag.withDefault(1)
    ),
    port: Flag.Int("port").pipe(Flag.withMetavar("n"), Flag.withDescription(Help.port), Flag.withDefault(0)),
    allowOrigin: Flag.String("allow-origin").pipe(
      Flag.withMetavar("origin"),
      Flag.withDescription(Help.allowOrigin),
      Flag.atLeast(0)
    )
  },
  (options) =>
    Effect.gen(function* () {
      const flags = yield* globals(false)
      if (Option.isSome(flags.authAppUrl)) return yield* usage(Render.fakeServerAuthAppUrlMessage)
      // As typed (globals would take PLEX_TV_URL for --plex-tv: the variable is only said to be unused, below).
      const typed = yield* root
      if (typed.fake) return yield* usage(Render.fakeServerOptionMessage("--fake"))
      if (Option.isSome(typed.plexTv)) return yield* usage(Render.fakeServerOptionMessage("--plex-tv"))
      if (Option.isSome(typed.configDir)) return yield* usage(Render.fakeServerOptionMessage("--config-dir"))
      if (options.approvePinsAfter < 0) return yield* usage(Render.approvePinsAfterMessage)
      if (options.port < 0 || options.port > 65_535) return yield* usage(Render.portMessage)
      const allowOrigins: Array<string> = []
      for (const value of options.allowOrigin) {
        const checked = Render.allowOriginOf(value)
        if ("message" in checked) return yield* usage(checked.message)
        if (!allowOrigins.includes(checked.origin)) allowOrigins.push(checked.origin)
      }
      const scenarios = yield* readScenarios
      return yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* startFake({
            scenarios,
            approvePinsAfter: Duration.seconds(options.approvePinsAfter),
            port: options.port,
            allowOrigins
          }).pipe(
            Effect.mapError((failure) =>
              options.port === 0
                ? failure
                : new CliFailure({
                    message: `${failure.message} ${Render.portHint}`,
                    exitCode: failure.exitCode
                  })
            )
          )
          const fake = server.fake
          const details: Render.FakeServerDetails = {
            plexTvUrl: server.plexTvUrl,
            clientsUrl: server.clientsUrl,
            serverUrl: server.serverUrl,
            urls: server.urls,
            login: fake.login,
            password: Redacted.value(fake.password),
            token: Redacted.value(fake.token),
            serverId: fake.serverId,
            serverName: fake.servers[0]?.name ?? "",
            approvePinsAfterSeconds: scenarios.has("expire-pin") ? null : options.approvePinsAfter,
            unclaimedServerUrl: (yield* Effect.orDie(fake.server(FakeSeed.fakeUnclaimedId))).url,
            homeMember: Render.fakeServerAccount(FakeSeed.fakeHomeMember),
            sharedUser: Render.fakeServerAccount(FakeSeed.fakeSharedUser),
            stranger: Render.fakeServerAccount(FakeSeed.fakeStranger),
            authAppUrl: Render.pinLinkPage(server.plexTvUrl),
            allowOrigins
          }
          // First, so that it is on stderr before the details a program waits for.
          if (Option.isSome(yield* authAppFromEnv)) {
            yield* say(Render.fakeServerAuthAppVariableNote(server.plexTvUrl))
          }
          if (Option.isSome(yield* plexTvFromEnv))
            yield* say(Render.fakeServerPlexTvVariableNote(server.plexTvUrl))
          if (flags.json) yield* json(details)
          else {
            const text = Render.fakeServerText(details, Duration.toMillis(yield* FakePinLifetime))
            yield* line(text.stdout)
            yield* say(text.stderr)
          }
          return yield* Effect.never
        })
      )
    })
).pipe(Command.withDescription(Help.fakeServerCommand))

// ---------------------------------------------------------------------------
// home, home switch (issue 17)
// ---------------------------------------------------------------------------

const homeSwitch = Command.make(
  "switch",
  {
    user: Argument.String("user").pipe(Argument.withDescription(Help.user))
  },
  (options) =>
    signedIn((session) =>
      Effect.gen(function* () {
        const blank = Core.homeUserArgumentProblem(options.user)
        if (blank !== undefined) return yield* new CliFailure({ message: blank, exitCode: ExitCode.Usage })
        const list = yield* plexFailure(Home.users())
        const user = Home.findUser(list, options.user)
        if (user === undefined) {
          return yield* new CliFailure({
            message: Core.homeUserNotFoundMessage(
              options.user,
              list.map((u) => u.title)
            ),
            exitCode: ExitCode.Generic
          })
        }
        const given = yield* Config.option(Config.Redacted("PLEX_HOME_PIN")).pipe(
          Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
        )
        const fromEnv = Option.filter(given, (value) => Render.envSet(Redacted.value(value)))
        const typed = ask(
          Prompt.Password({
            message: Render.homePinQuestion(user.title),
            validate: (value) =>
              Render.homePinValid(value) ? Effect.succeed(value.trim()) : Effect.fail("Four digits, please")
          }),
          // A blank PLEX_HOME_PIN counts as none: said so, not "set PLEX_HOME_PIN" as if it were unset.
          Render.homePinMissing(Option.isSome(given) && Option.isNone(fromEnv))
        )
        // PLEX_HOME_PIN is used whenever it is set; without it, a user the listing marks protected is asked
        // for its PIN before the switch, any other switched to without one.
        const pin = Option.isSome(fromEnv) ? fromEnv.value : user.protected ? yield* typed : undefined
        const switched = yield* plexFailure(
          pin === undefined
            ? // plex.tv decides whether it wants the PIN, and may for a user the listing did not mark
              // protected (403, code 1041: HomePinRequired): asked for then, and the switch sent once more.
              Effect.catchTag(Home.switchUser(user), "HomePinRequired", () =>
                Effect.flatMap(typed, (again) => Home.switchUser(user, { pin: again }))
              )
            : Home.switchUser(user, { pin })
        )
        yield* saveToken(session, switched.token)
        yield* sayOpenDirectory(session)
        if (session.fake !== undefined) {
          yield* Effect.mapError(
            session.store.set(
              FakeSeed.fakeUserKey,
              FakeSeed.fakeSwitchedUser(switched.account.username, user)
            ),
            fromStoreError
          )
        }
        // The token is saved, never printed (not even under --json).
        yield* session.json
          ? json({ user: Render.homeUserJson(user), file: session.file })
          : line(Render.switchedText(user.title, session.file))
      })
    )
).pipe(Command.withDescription(Help.switchCommand))

const home = Command.make("home", {}, () =>
  signedIn((session) =>
    Effect.gen(function* () {
      const list = yield* plexFailure(Home.users())
      yield* session.json ? json({ users: list.map(Render.homeUserJson) }) : line(Render.homeText(list))
    })
  )
).pipe(Command.withDescription(Help.homeCommand), Command.withSubcommands([homeSwitch]))

// ---------------------------------------------------------------------------
// claim-token, claim (issue 17)
// ---------------------------------------------------------------------------

const claimToken = Command.make("claim-token", {}, () =>
  signedIn((session) =>
    Effect.gen(function* () {
      const claim = yield* plexFailure(Claim.token())
      // A secret printed on purpose: on stdout, alone (or alone in its JSON document),
      // for `docker run -e PLEX_CLAIM=$(plex-auth claim-token)`.
      yield* session.json ? json({ token: Redacted.value(claim) }) : line(Redacted.value(claim))
    })
  )
).pipe(Command.withDescription(Help.claimTokenCommand))

const claim = Command.make(
  "claim",
  {
    serverUrl: Argument.String("server-url").pipe(Argument.withDescription(Help.serverUrl))
  },
  (options) =>
    signedIn((session) =>
      Effect.gen(function* () {
        // With --fake, the fake's servers answer on loopback, not at the addresses they are seeded with.
        const seeded = FakeSeed.fakeSeededServer(options.serverUrl)
        const url =
          session.fake !== undefined && seeded !== undefined
            ? (yield* Effect.orDie(session.fake.fake.server(seeded))).url
            : options.serverUrl
        const claimed = yield* plexFailure(
          Claim.claimServer(url).pipe(
            Effect.map((identity) => ({
              machineIdentifier: identity.machineIdentifier,
              alreadyClaimed: false
            })),
            Effect.catchTag("InvalidInput", (error) =>
              Effect.fail(usage(Core.invalidMessage("server URL", error.reason)))
            ),
            // Claimed already: this account's own server (a second run) is nothing to do; another account's, or one
            // plex.tv's list could not tell (the library's claimedBy), stays the error.
            Effect.catchTag("ServerAlreadyClaimed", (error) =>
              error.claimedBy === "ThisAccount"
                ? Effect.succeed({ machineIdentifier: error.machineIdentifier, alreadyClaimed: true })
                : Effect.fail(error)
            )
          )
        )
        yield* session.json
          ? json({
              machineIdentifier: claimed.machineIdentifier,
              origin: Core.originOf(url),
              alreadyClaimed: claimed.alreadyClaimed
            })
          : line(
              (claimed.alreadyClaimed ? Render.alreadyOwnedText : Render.claimedText)(
                claimed.machineIdentifier,
                url
              )
            )
      })
    )
).pipe(Command.withDescription(Help.claimCommand))

// ---------------------------------------------------------------------------
// devices, devices revoke (issue 17)
// ---------------------------------------------------------------------------

const revokeDevice = Command.make(
  "revoke",
  {
    id: Argument.Int("id").pipe(Argument.withDescription(Help.id))
  },
  (options) =>
    signedIn((session) =>
      Effect.gen(function* () {
        // The CLI's own device (its client identifier): its saved token stops working with it (asked first:
        // once revoked, the device is no longer listed). An id the library refuses is refused before any request.
        const identity = yield* ClientIdentity.ClientIdentity
        const own =
          DeviceFacts.deviceIdProblem(options.id) === undefined &&
          Render.isOwnDevice(options.id, yield* plexFailure(Devices.list()), identity.clientIdentifier)
        yield* plexFailure(
          Devices.revoke(options.id).pipe(
            Effect.catchTags({
              NotFound: () =>
                Effect.fail(
                  new CliFailure({
                    message: Render.noSuchDeviceMessage(options.id),
                    exitCode: ExitCode.Generic
                  })
                ),
              InvalidInput: (error) => Effect.fail(usage(Render.invalidDeviceIdMessage(error.reason)))
            })
          )
        )
        if (own) {
          // As `logout` forgets it: under --fake, with the record of whose session it was.
          yield* Effect.mapError(
            Effect.andThen(
              session.store.remove(session.tokenKey),
              session.fake !== undefined ? session.store.remove(FakeSeed.fakeUserKey) : Effect.void
            ),
            fromStoreError
          )
        }
        yield* session.json
          ? json({ id: options.id, revoked: true, forgotten: own })
          : line(Render.revokedText(options.id))
        if (own) yield* say(Render.revokedOwnText(options.id))
      })
    )
).pipe(Command.withDescription(Help.revokeCommand))

const devices = Command.make("devices", {}, () =>
  signedIn((session) =>
    Effect.gen(function* () {
      const list = yield* plexFailure(Devices.list())
      // Never a device's token.
      yield* session.json ? json({ devices: list.map(Core.deviceJson) }) : line(Render.devicesText(list))
    })
  )
).pipe(Command.withDescription(Help.devicesCommand), Command.withSubcommands([revokeDevice]))

// ---------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------

/** `plex-auth` and its subcommands, in the order help lists them (the Effect 3 CLI's). */
export const command = root.pipe(
  Command.withSubcommands([
    login,
    whoami,
    servers,
    token,
    logout,
    fakeServer,
    home,
    claimToken,
    claim,
    devices
  ])
)
