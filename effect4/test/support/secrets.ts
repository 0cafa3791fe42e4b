/**
 * Searching what a run left behind for secrets: every way an error can be
 * rendered, and a span as an exporter would ship it. The Effect 4 edition of
 * `renderings`, `assertNoSecrets` and `RecordedSpan.render` in
 * test/support/observe.ts (Effect 4's `Tracer.NativeSpan` records the spans:
 * see observe.ts).
 */
import { inspect } from "node:util"
import { assert } from "@effect/vitest"
import * as Cause from "effect/Cause"
import type * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import type { RecordedSpan } from "./observe.js"

/** Every way a user might print an error: the texts to search for secrets. */
export const renderings = (error: unknown): Record<string, string> => {
  const e = error as Error & { toJSON?: () => unknown }
  return {
    String: String(e),
    message: e.message,
    toString: e.toString(),
    "JSON.stringify": JSON.stringify(e),
    toJSON: JSON.stringify(e.toJSON?.() ?? null),
    "util.inspect": inspect(e, { depth: 10 }),
    "Inspectable.toStringUnknown": Inspectable.toStringUnknown(e),
    stack: e.stack ?? "",
    "Cause.pretty": Cause.pretty(Cause.fail(e)),
    "Cause.pretty(die)": Cause.pretty(Cause.die(e))
  }
}

/** Asserts that none of `texts` contains any of `secrets`. */
export const assertNoSecrets = (
  texts: Record<string, string> | ReadonlyArray<string>,
  secrets: ReadonlyArray<string>
): void => {
  const entries = Array.isArray(texts)
    ? texts.map((t, i) => [`#${i}`, t] as const)
    : Object.entries(texts as Record<string, string>)
  for (const [label, text] of entries) {
    for (const secret of secrets) {
      assert.isFalse(text.includes(secret), `${label} leaks "${secret}":\n${text}`)
    }
  }
}

/** The exit a span ended with, if it ended. */
export const exitOf = (span: RecordedSpan): Exit.Exit<unknown, unknown> | undefined =>
  span.status._tag === "Ended" ? span.status.exit : undefined

/** Everything a span carries that an exporter would ship, as text: name, attributes, events, outcome. */
export const renderSpan = (span: RecordedSpan, options: { readonly outcome?: boolean } = {}): string => {
  const attributes = [...span.attributes].map(([k, v]) => `${k}=${String(v)}`)
  const events = span.events.map(([name, , attributes]) => `${name} ${JSON.stringify(attributes)}`)
  const exit = options.outcome === false ? undefined : exitOf(span)
  const outcome = exit === undefined ? "" : exit._tag === "Failure" ? Cause.pretty(exit.cause) : "success"
  return [span.name, ...attributes, ...events, outcome].join("\n")
}

/** Effect 4's HTTP client spans are named after the method (`GET`), where Effect 3's are `http.client GET`. */
export const isHttpClientSpan = (span: RecordedSpan): boolean => /^[A-Z]+$/.test(span.name)
