/**
 * Observing what a run leaves behind: the spans a recording `Tracer` saw
 * (names, attributes, events, exits), the lines a test `Logger` received, and
 * every way an error can be rendered, so tests can search them for secrets.
 */
import { inspect } from "node:util"
import { assert } from "@effect/vitest"
import type { Context, Exit, Option } from "effect"
import { Cause, Effect, Inspectable, Logger, LogLevel, Tracer } from "effect"

/** A span as the recording tracer saw it. */
export class RecordedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId: string
  readonly traceId: string
  readonly sampled = true
  status: Tracer.SpanStatus
  readonly attributes = new Map<string, unknown>()
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> }> = []
  readonly links: Array<Tracer.SpanLink>

  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind,
    id: number
  ) {
    this.status = { _tag: "Started", startTime }
    this.spanId = `span-${id}`
    this.traceId = parent._tag === "Some" ? parent.value.traceId : `trace-${id}`
    this.links = [...links]
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }
  event(name: string, _startTime: bigint, attributes?: Record<string, unknown>): void {
    this.events.push({ name, attributes: attributes ?? {} })
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }

  /** The exit the span ended with, if it ended. */
  get exit(): Exit.Exit<unknown, unknown> | undefined {
    return this.status._tag === "Ended" ? this.status.exit : undefined
  }

  /** Everything the span carries that an exporter would ship, as text. */
  render(): string {
    const attributes = [...this.attributes].map(([k, v]) => `${k}=${String(v)}`)
    const events = this.events.map((e) => `${e.name} ${JSON.stringify(e.attributes)}`)
    const exit = this.exit
    const outcome = exit === undefined ? "" : exit._tag === "Failure" ? Cause.pretty(exit.cause) : "success"
    return [this.name, ...attributes, ...events, outcome].join("\n")
  }
}

/** Runs `effect` under a recording tracer; returns its exit and the spans it opened. */
export const withRecordedSpans = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly spans: ReadonlyArray<RecordedSpan> }, never, R> =>
  Effect.suspend(() => {
    const spans: Array<RecordedSpan> = []
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind) => {
        const span = new RecordedSpan(name, parent, context, links, startTime, kind, spans.length)
        spans.push(span)
        return span
      },
      context: (f) => f()
    })
    return Effect.map(Effect.exit(Effect.withTracer(effect, tracer)), (exit) => ({ exit, spans }))
  })

/** Runs `effect` with every log line (all levels) captured as `Logger.stringLogger` formats it. */
export const withCapturedLogs = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly lines: ReadonlyArray<string> }, never, R> =>
  Effect.suspend(() => {
    const lines: Array<string> = []
    const capture = Logger.make((options) => {
      lines.push(Logger.stringLogger.log(options))
    })
    return effect.pipe(
      Effect.exit,
      Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      Logger.withMinimumLogLevel(LogLevel.All),
      Effect.map((exit) => ({ exit, lines }))
    )
  })

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
    "Inspectable.format": Inspectable.format(e),
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
