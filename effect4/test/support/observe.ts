/**
 * Observing what a run leaves behind: the spans a recording `Tracer` saw and
 * the lines a test `Logger` received. The Effect 4 edition of part of
 * test/support/observe.ts (Effect 4's `Tracer.NativeSpan` records names,
 * attributes, parents and exits itself).
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
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

/** Runs `effect` with every log line (all levels) captured as `Logger.formatSimple` formats it. */
export const withCapturedLogs = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly lines: ReadonlyArray<string> }, never, R> =>
  Effect.suspend(() => {
    const lines: Array<string> = []
    const capture = Logger.make((options) => {
      lines.push(Logger.formatSimple.log(options))
    })
    return effect.pipe(
      Effect.exit,
      Effect.provide(Logger.layer([capture])),
      Effect.provideService(References.MinimumLogLevel, "All"),
      Effect.map((exit) => ({ exit, lines }))
    )
  })
