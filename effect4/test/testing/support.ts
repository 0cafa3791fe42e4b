/**
 * Helpers for the fake's own tests: raw requests to its handler, and the
 * error an operation fails with.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as PlexError from "effect4-plex-auth/PlexError"
import { FakePlex } from "effect4-plex-auth/testing"

export const CLIENT_ID = "fake-plex-test-client"

export interface RawInit {
  readonly method?: string
  readonly token?: string | Redacted.Redacted<string> | undefined
  /** The client identifier header; `null` leaves it out. */
  readonly clientId?: string | null
  /** The Accept header; `null` leaves it out. */
  readonly accept?: string | null
  readonly headers?: Record<string, string>
  readonly form?: Record<string, string>
}

/** A request built by hand (for routes and details the client does not cover). */
export const raw = (url: string, init: RawInit = {}): Request => {
  const headers = new Headers(init.headers)
  const clientId = init.clientId === undefined ? CLIENT_ID : init.clientId
  if (clientId !== null) headers.set("X-Plex-Client-Identifier", clientId)
  const accept = init.accept === undefined ? "application/json" : init.accept
  if (accept !== null) headers.set("Accept", accept)
  if (init.token !== undefined) {
    headers.set("X-Plex-Token", Redacted.isRedacted(init.token) ? Redacted.value(init.token) : init.token)
  }
  let body: string | null = null
  if (init.form !== undefined) {
    headers.set("Content-Type", "application/x-www-form-urlencoded")
    body = new URLSearchParams(init.form).toString()
  }
  return new Request(url, { method: init.method ?? "GET", headers, body })
}

/** Sends a hand-built request to the fake in context. */
export const send = (request: Request) =>
  Effect.flatMap(Effect.service(FakePlex.FakePlex), (fake) => fake.handle(request))

/** Sends a hand-built request and reads the answer. */
export const exchange = (url: string, init: RawInit = {}) =>
  Effect.gen(function* () {
    const response = yield* send(raw(url, init))
    const text = yield* Effect.promise(() => response.text())
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      headers: response.headers,
      text,
      json: (): any => JSON.parse(text)
    }
  })

/** The error `effect` fails with, narrowed to `tag` (the test fails otherwise). */
export const failsWith = <const Tag extends PlexError.PlexError["_tag"], A, R>(
  effect: Effect.Effect<A, PlexError.PlexError, R>,
  tag: Tag
): Effect.Effect<Extract<PlexError.PlexError, { readonly _tag: Tag }>, never, R> =>
  Effect.matchEffect(effect, {
    onSuccess: () => Effect.die(new Error(`expected ${tag}, got a success`)),
    onFailure: (error) => {
      assert.strictEqual(error._tag, tag, `expected ${tag}, got ${error._tag}: ${error.message}`)
      return Effect.succeed(error as Extract<PlexError.PlexError, { readonly _tag: Tag }>)
    }
  })
