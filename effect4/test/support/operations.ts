/**
 * The four operations as data, so a behaviour every operation shares (error
 * mapping, headers, timeouts, spans, secrets) is tested once per operation.
 * The Effect 4 edition of test/support/operations.ts.
 */
import type * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import type * as Credentials from "effect4-plex-auth/Credentials"
import * as PlexAuth from "effect4-plex-auth/PlexAuth"
import type * as PlexError from "effect4-plex-auth/PlexError"
import type * as PlexServer from "effect4-plex-auth/PlexServer"
import { CODE, ISSUED_TOKEN, PASSWORD, PLEX_TV, SERVER_URL } from "./env.js"
import * as MockHttp from "./MockHttp.js"

/** A minimal valid account (sign-in adds `authToken`). */
export const accountBody = {
  id: 1234,
  uuid: "a1b2c3d4e5f60718",
  username: "tester",
  title: "Tester",
  email: "tester@example.org"
}

export const SOURCE = "server://0123456789abcdef0123456789abcdef"

/** What any of the four operations may need. */
export type Requirements =
  | HttpClient.HttpClient
  | ClientIdentity.ClientIdentity
  | Credentials.Credentials
  | PlexServer.PlexServer

export interface Operation {
  readonly name:
    | "postUsersSignInData"
    | "getTokenDetails"
    | "getTransientToken"
    | "getSourceConnectionInformation"
  readonly origin: string
  readonly method: "GET" | "POST"
  readonly path: string
  /** The query string the operation sends (`URLSearchParams.toString()`). */
  readonly query: string
  /** Whether the operation sends `X-Plex-Token`. */
  readonly sendsToken: boolean
  /** Whether a 404 maps to `NotFound`. */
  readonly notFound: boolean
  /** Whether the request may be resent after it may have been processed. */
  readonly idempotent: boolean
  /** The status a success comes with. */
  readonly successStatus: number
  /** A success body. */
  readonly successBody: unknown
  /** A success body with a required field in the wrong shape. */
  readonly undecodableBody: unknown
  /** Runs the operation (its value discarded), with the secrets it sends. */
  readonly run: Effect.Effect<unknown, PlexError.PlexError, Requirements>
}

export const signInInput = { login: "tester@example.org", password: PASSWORD, verificationCode: CODE }

export const operations: ReadonlyArray<Operation> = [
  {
    name: "postUsersSignInData",
    origin: PLEX_TV,
    method: "POST",
    path: "/api/v2/users/signin",
    query: "",
    sendsToken: false,
    notFound: false,
    idempotent: false,
    successStatus: 201,
    successBody: { ...accountBody, authToken: ISSUED_TOKEN },
    undecodableBody: { ...accountBody, authToken: ISSUED_TOKEN, uuid: { nested: "object" } },
    run: PlexAuth.postUsersSignInData(signInInput)
  },
  {
    name: "getTokenDetails",
    origin: PLEX_TV,
    method: "GET",
    path: "/api/v2/user",
    query: "",
    sendsToken: true,
    notFound: false,
    idempotent: true,
    successStatus: 200,
    successBody: accountBody,
    undecodableBody: { ...accountBody, id: "not-a-number-secretish" },
    run: PlexAuth.getTokenDetails()
  },
  {
    name: "getTransientToken",
    origin: SERVER_URL,
    method: "POST",
    path: "/security/token",
    query: "type=delegation&scope=all",
    sendsToken: true,
    notFound: false,
    idempotent: true,
    successStatus: 200,
    successBody: { MediaContainer: { token: ISSUED_TOKEN } },
    undecodableBody: { MediaContainer: { token: 12345 } },
    run: PlexAuth.getTransientToken({ type: "delegation", scope: "all" })
  },
  {
    name: "getSourceConnectionInformation",
    origin: SERVER_URL,
    method: "GET",
    path: "/security/resources",
    query: `source=${encodeURIComponent(SOURCE)}`,
    sendsToken: true,
    notFound: true,
    idempotent: true,
    successStatus: 200,
    successBody: {
      MediaContainer: {
        Device: {
          clientIdentifier: "0123456789abcdef0123456789abcdef",
          accessToken: ISSUED_TOKEN,
          Connection: [{ uri: "http://192.168.1.10:32400" }]
        }
      }
    },
    undecodableBody: { MediaContainer: { Device: { name: "no client identifier" } } },
    run: PlexAuth.getSourceConnectionInformation({ source: SOURCE })
  }
]

/** The operation's success reply. */
export const success = (op: Operation): Response => MockHttp.json(op.successStatus, op.successBody)
