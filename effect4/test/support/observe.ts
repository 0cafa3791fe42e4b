/**
 * Observing what a run leaves behind: the spans a recording `Tracer` saw. The
 * Effect 4 edition of the span part of test/support/observe.ts (Effect 4's
 * `Tracer.NativeSpan` records names, attributes, parents and exits itself).
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Tracer from "effect/Tracer"

/** A span as the recording tracer saw it. */
export type RecordedSpan = Tracer.NativeSpan

/** Runs `effect` under a recording tracer; returns its exit and the spans it opened. */
export const withRecordedSpans = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly spans: ReadonlyArray<RecordedSpan> }, never, R> =>
  Effect.suspend(() => {
    const spans: Array<RecordedSpan> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    return Effect.map(Effect.exit(Effect.withTracer(effect, tracer)), (exit) => ({ exit, spans }))
  })
