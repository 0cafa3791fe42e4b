/**
 * The fault suite's shared pieces: the four operations as data (run against
 * whichever fake is in context, in memory or on loopback), the two
 * environments, and small helpers for outcomes and bounded waits. The
 * Effect 4 edition of test/faults/support.ts.
 */
import { assert } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import type * as PlexError from "effect4-plex-auth/PlexError"
import * as PlexServer from "effect4-plex-auth/PlexServer"
import * as PlexTv from "effect4-plex-auth/PlexTv"
import { FakePlexServer } from "effect4-plex-auth/node"
import { FakePlex, Fault } from "effect4-plex-auth/testing"
import * as MockHttp from "../support/MockHttp.js"

export type OperationName =
  | "postUsersSignInData"
  | "getTokenDetails"
  | "getTransientToken"
  | "getSourceConnectionInformation"

/** What an operation is run with: the fake's addresses and the secrets it sends. */
export interface Target {
  readonly plexTvUrl: string
  readonly serverUrl: string
  readonly token: Redacted.Redacted<string>
  readonly login: string
  readonly password: Redacted.Redacted<string>
  readonly verificationCode: Redacted.Redacted<string> | undefined
  readonly source: string
}

/** The default target of the fake in context (its default account, server and a source it knows). */
export const targetOf = (fake: FakePlex.FakePlexService): Target => {
  const account = fake.accounts[0]!
  return {
    plexTvUrl: fake.plexTvUrl,
    serverUrl: fake.serverUrl,
    token: fake.token,
    login: fake.login,
    password: fake.password,
    verificationCode: account.twoFactorCode,
    source: `server://${fake.serverId}`
  }
}

export const currentTarget: Effect.Effect<Target, never, FakePlex.FakePlex> = Effect.map(
  Effect.service(FakePlex.FakePlex),
  targetOf
)

export type Run = Effect.Effect<
  unknown,
  PlexError.PlexError,
  HttpClient.HttpClient | ClientIdentity.ClientIdentity
>

export interface Operation {
  readonly name: OperationName
  /** Which host of the fake serves it. */
  readonly host: "plex.tv" | "server"
  readonly method: "GET" | "POST"
  readonly path: string
  /** The status of its success. */
  readonly successStatus: number
  /** Whether it may be sent again after the server may have acted on it. */
  readonly idempotent: boolean
  /** Whether it sends `X-Plex-Token`. */
  readonly sendsToken: boolean
  /** Whether a 404 is `NotFound` (otherwise `Unexpected`). */
  readonly notFound: boolean
  /** The operation against `target`, pointed at its plex.tv and server. */
  readonly run: (target: Target) => Run
  /** Asserts that `value` is the right answer for `target`. */
  readonly checkSuccess: (value: unknown, target: Target) => void
}

const pointedAt =
  (target: Target) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      PlexTv.withUrl(target.plexTvUrl),
      PlexServer.withUrl(target.serverUrl),
      Credentials.withToken(target.token)
    )

export const operations: ReadonlyArray<Operation> = [
  {
    name: "postUsersSignInData",
    host: "plex.tv",
    method: "POST",
    path: "/api/v2/users/signin",
    successStatus: 201,
    idempotent: false,
    sendsToken: false,
    notFound: false,
    run: (target) =>
      pointedAt(target)(
        PlexAuth.postUsersSignInData({
          login: target.login,
          password: target.password,
          verificationCode: target.verificationCode
        })
      ),
    checkSuccess: (value, target) => {
      const account = value as { readonly email: string; readonly authToken: Redacted.Redacted<string> }
      assert.strictEqual(account.email, target.login)
      assert.isTrue(Redacted.isRedacted(account.authToken))
      assert.isAbove(Redacted.value(account.authToken).length, 0)
    }
  },
  {
    name: "getTokenDetails",
    host: "plex.tv",
    method: "GET",
    path: "/api/v2/user",
    successStatus: 200,
    idempotent: true,
    sendsToken: true,
    notFound: false,
    run: (target) => pointedAt(target)(PlexAuth.getTokenDetails()),
    checkSuccess: (value, target) => {
      assert.strictEqual((value as { readonly email: string }).email, target.login)
    }
  },
  {
    name: "getTransientToken",
    host: "server",
    method: "POST",
    path: "/security/token",
    successStatus: 200,
    idempotent: true,
    sendsToken: true,
    notFound: false,
    run: (target) => pointedAt(target)(PlexAuth.getTransientToken({ type: "delegation", scope: "all" })),
    checkSuccess: (value) => {
      assert.match(
        Redacted.value((value as { readonly token: Redacted.Redacted<string> }).token),
        /^transient-/
      )
    }
  },
  {
    name: "getSourceConnectionInformation",
    host: "server",
    method: "GET",
    path: "/security/resources",
    successStatus: 200,
    idempotent: true,
    sendsToken: true,
    notFound: true,
    run: (target) => pointedAt(target)(PlexAuth.getSourceConnectionInformation({ source: target.source })),
    checkSuccess: (value, target) => {
      assert.strictEqual(
        `server://${(value as { readonly clientIdentifier: string }).clientIdentifier}`,
        target.source
      )
    }
  }
]

export const identity = ClientIdentity.layer({
  clientIdentifier: "fault-suite-client",
  product: "effect-plex-auth fault suite",
  version: "0.1.0"
}).pipe(Layer.orDie)

/** The fake in memory: its `HttpClient`, the `FakePlex` service and an identity. */
export const inMemory = (options: FakePlex.Options = {}) => Layer.mergeAll(FakePlex.layer(options), identity)

/** The fake on loopback ports, the real `FetchHttpClient`, and an identity. */
export const onLoopback = (options: FakePlex.Options = {}) =>
  Layer.mergeAll(FakePlexServer.layer(options), FetchHttpClient.layer, identity).pipe(Layer.orDie)

/** The failure of `exit`, which must be a failure with a `PlexError` (not a success, defect or interruption). */
export const failureOf = <A>(exit: Exit.Exit<A, PlexError.PlexError>, what: string): PlexError.PlexError => {
  if (exit._tag === "Success") return assert.fail(`${what}: expected a failure, got a success`)
  const failure = Option.getOrUndefined(Cause.findErrorOption(exit.cause))
  if (failure === undefined)
    return assert.fail(`${what}: expected a typed failure, got ${String(exit.cause)}`)
  return failure
}

/** Every text value a recorded request carries, secrets revealed. */
export const recordedTexts = (request: FakePlex.RecordedRequest): ReadonlyArray<string> => {
  const reveal = (value: string | Redacted.Redacted<string>) =>
    Redacted.isRedacted(value) ? Redacted.value(value) : value
  return [
    request.path,
    ...Object.entries(request.query).flatMap(([k, v]) => [k, reveal(v)]),
    ...Object.entries(request.headers).flatMap(([k, v]) => [k, reveal(v)]),
    ...Object.entries(request.form ?? {}).flatMap(([k, v]) => [k, reveal(v)])
  ]
}

/**
 * A fault: an answer of `status` (with `headers`) whose body breaks off after its first bytes, as when the connection
 * is cut after the status line (`Fault.truncate` cuts the operation's normal answer; this one, any status's).
 */
export const cutOff = (status: number, headers: Record<string, string> = {}): Fault.Fault =>
  Fault.respond(() =>
    Effect.sync(() =>
      MockHttp.cutBody(
        status,
        { errors: [{ code: 1001, message: "User could not be authenticated", status }] },
        headers
      )
    )
  )
