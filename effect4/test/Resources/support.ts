/**
 * Helpers of the Effect 4 Resources tests.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { inspect } from "node:util"

/** Runs `effect`, which must fail with an error tagged `tag`; returns that error. */
export const failsWith = <A, E extends { readonly _tag: string }, R, T extends E["_tag"]>(
  effect: Effect.Effect<A, E, R>,
  tag: T
): Effect.Effect<Extract<E, { readonly _tag: T }>, never, R> =>
  Effect.flatMap(Effect.orDie(Effect.flip(effect)), (error) => {
    assert.strictEqual(error._tag, tag, String(error))
    return Effect.succeed(error as Extract<E, { readonly _tag: T }>)
  })

/** Every way an error shows itself: its message, `String`, `JSON.stringify` and Node's inspection. */
export const renderings = (error: unknown): ReadonlyArray<string> => [
  error instanceof Error ? error.message : "",
  String(error),
  JSON.stringify(error),
  inspect(error, { depth: 10 })
]

/** Asserts that no text shows any of the secrets. */
export const assertNoSecrets = (texts: ReadonlyArray<string>, secrets: ReadonlyArray<string>): void => {
  for (const text of texts) for (const secret of secrets) assert.notInclude(text, secret)
}
