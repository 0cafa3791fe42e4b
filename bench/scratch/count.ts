/**
 * Deterministic counts for one Effect 3 request (the second, after a warm-up), over a `fetch` that answers
 * from answers.json: run-loop steps (each instruction the fiber runtime evaluates), scheduler turns (a fiber
 * resumed later on the executor: a fork, an async resume) and `FiberRef` updates by reference (each copies
 * the fiber's map). A bench tool only: it wraps methods of the runtime's fiber class to count.
 *
 *   node --import tsx bench/scratch/count.ts [getTokenDetails | bare]
 *   FLAG=name ...    runs with globalThis[name] = true (an experiment the library reads)
 */
import { FetchHttpClient, Headers, HttpClient } from "@effect/platform"
import { Effect, FiberRef, Layer, ManagedRuntime, Redacted } from "effect"
import * as fs from "node:fs"
import { lib } from "../library.js"

interface Answer {
  readonly status: number
  readonly headers: Array<[string, string]>
  readonly body: string
}
const recorded = JSON.parse(fs.readFileSync(new URL("answers.json", import.meta.url), "utf8")) as {
  readonly served: { readonly token: string; readonly plexTvUrl: string }
  readonly user: Answer
  readonly signIn: Answer
}
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input)
  const answer =
    (init?.method ?? "GET") === "POST" || url.includes("signin") ? recorded.signIn : recorded.user
  return new Response(answer.body, { status: answer.status, headers: answer.headers })
}
const { ClientIdentity, Credentials, PlexAuth, PlexTv } = lib
const layer = Layer.mergeAll(
  FetchHttpClient.layer,
  ClientIdentity.layer({ clientIdentifier: "x", product: "p" }),
  Credentials.layer(Redacted.make(recorded.served.token)),
  PlexTv.layer(recorded.served.plexTvUrl)
)
const runtime = ManagedRuntime.make(layer)
const names = new Map<unknown, string>([
  [FiberRef.currentContext, "context"],
  [HttpClient.currentTracerPropagation, "propagation"],
  [HttpClient.currentTracerDisabledWhen, "disabledWhen"],
  [Headers.currentRedactedNames, "redacted"]
])
type Method = (this: unknown, ...args: Array<unknown>) => unknown
const fiberClass = (await runtime.runPromise(
  Effect.withFiberRuntime((fiber) => Effect.succeed(Object.getPrototypeOf(fiber)))
)) as Record<string, Method>
let on = false
const counts = new Map<string, number>()
const count = (key: string) => {
  if (on) counts.set(key, (counts.get(key) ?? 0) + 1)
}
const wrap = (method: string, key: (args: Array<unknown>) => string) => {
  const original = fiberClass[method]
  if (typeof original !== "function") return
  fiberClass[method] = function (...args) {
    count(key(args))
    return original.apply(this, args)
  }
}
const steps = ["OnSuccess", "OnFailure", "OnSuccessAndFailure", "Sync", "Async", "Success", "Failure"]
for (const step of [...steps, "WithRuntime", "UpdateRuntimeFlags", "While", "Iterator", "Yield", "Commit"]) {
  wrap(step, () => "steps")
}
wrap("drainQueueLaterOnExecutor", () => "turns")
wrap("setFiberRef", ([ref]) => `set ${names.get(ref) ?? "other"}`)
if (process.env["FLAG"]) (globalThis as Record<string, unknown>)[process.env["FLAG"]] = true
const which = process.argv[2] ?? "getTokenDetails"
const effect: Effect.Effect<unknown, unknown, Layer.Layer.Success<typeof layer>> = which === "bare"
  ? Effect.flatMap(HttpClient.HttpClient, (client) =>
      Effect.flatMap(client.get(`${recorded.served.plexTvUrl}/api/v2/user`), (response) => response.text)
    ).pipe(Effect.locally(HttpClient.currentTracerPropagation, false))
  : PlexAuth.getTokenDetails()
await runtime.runPromise(effect)
on = true
await runtime.runPromise(effect)
on = false
process.stdout.write(
  `${process.env["FLAG"] ?? ""} ${which}: ${[...counts].map(([key, n]) => `${key} ${n}`).join(", ")}\n`
)
await runtime.dispose()
