/**
 * The retry policies' numbers and choices, once for both editions: which
 * errors `RetryPolicy.backoff` retries, its defaults (the seed SDKs' names and
 * defaults: plexjs's `retryConfig` backoff), the ready `transient` policy's
 * settings, and when a retry may still start. Each edition's `RetryPolicy`
 * turns them into a `Schedule` of its Effect line.
 *
 * @internal
 */
import { notSchedule } from "./pin.js"
import { booleanProblem, functionProblem, objectProblem } from "./validate.js"

/** The statuses `RetryPolicy.backoff` retries by default: a rate limit and the 5xx answers a retry may cure. */
export const defaultStatusCodes: ReadonlyArray<number> = [429, 500, 502, 503, 504]

/** The settings of an exponential backoff, in milliseconds. */
export interface BackoffSettings {
  /** The wait before the first retry. */
  readonly initialIntervalMillis: number
  /** The longest wait between two attempts. */
  readonly maxIntervalMillis: number
  /** The factor the wait grows by after each retry. */
  readonly exponent: number
  /** No retry starts once this much time has passed since the first failure. */
  readonly maxElapsedMillis: number
  /** Spread each wait randomly (never below a `Retry-After`). */
  readonly jitter: boolean
}

/** `RetryPolicy.backoff`'s defaults: 500 ms, growing 1.5 times, at most 60 s apart, for at most an hour. */
export const backoffDefaults: BackoffSettings = {
  initialIntervalMillis: 500,
  maxIntervalMillis: 60_000,
  exponent: 1.5,
  maxElapsedMillis: 60 * 60_000,
  jitter: false
}

/** `RetryPolicy.transient`: 250 ms, doubling, at most 5 s apart, for at most 30 s, jittered. */
export const transientSettings: BackoffSettings = {
  initialIntervalMillis: 250,
  maxIntervalMillis: 5_000,
  exponent: 2,
  maxElapsedMillis: 30_000,
  jitter: true
}

/** What `RetryPolicy.matches` reads of an error. */
export interface Retryable {
  readonly _tag: string
  readonly status?: number | undefined
  readonly reason?: string | undefined
}

/** The `retryConnectionErrors` and `statusCodes` knobs of `RetryPolicy.backoff`. */
export interface Selection {
  readonly retryConnectionErrors?: boolean | undefined
  readonly statusCodes?: ReadonlyArray<number> | undefined
}

/**
 * Whether a backoff with these knobs retries this error: a connection that
 * failed (unless `retryConnectionErrors` is false), a rate limit or an
 * unexpected status among `statusCodes`. Nothing else (a 401, a decode
 * failure, invalid input) is ever retried.
 */
export const selects = (error: Retryable, options: Selection = {}): boolean => {
  // A predicate over whatever a caller caught: what is not an error (null, a number) is never retried.
  if (typeof error !== "object" || error === null) return false
  const statusCodes = options.statusCodes ?? defaultStatusCodes
  switch (error._tag) {
    case "NetworkError":
      return options.retryConnectionErrors ?? true
    case "RateLimited":
      return error.status !== undefined && statusCodes.includes(error.status)
    case "Unexpected":
      return error.reason === "Status" && error.status !== undefined && statusCodes.includes(error.status)
    default:
      return false
  }
}

/** Whether a retry that would start after `delayMillis` more still starts within `maxElapsedMillis` of the first failure. */
export const startsInTime = (elapsedMillis: number, delayMillis: number, maxElapsedMillis: number): boolean =>
  elapsedMillis + delayMillis <= maxElapsedMillis

/** Why a value cannot be a backoff's growth factor (a finite number of at least 1), or undefined. */
export const exponentProblem = (value: unknown): string | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 1
    ? undefined
    : "must be a finite number of at least 1"

/** Why a value cannot be a backoff's number of retries (`times`: an integer of at least 0), or undefined. */
export const timesProblem = (value: unknown): string | undefined =>
  typeof value === "number" && Number.isInteger(value) && value >= 0
    ? undefined
    : "must be an integer of at least 0"

/** Why a value cannot be the statuses a backoff retries (an array of integers from 100 to 599), or undefined. */
export const statusCodesProblem = (value: unknown): string | undefined =>
  Array.isArray(value) && value.every((code) => Number.isInteger(code) && code >= 100 && code <= 599)
    ? undefined
    : "must be an array of HTTP statuses (integers from 100 to 599)"

/** A knob of `RetryPolicy.backoff` that cannot be one, and why. */
export interface OptionsProblem {
  readonly field: string
  readonly reason: string
}

/**
 * Why `options` cannot be the knobs of `RetryPolicy.matches` (an object, or undefined, whose
 * `retryConnectionErrors` is a boolean and whose `statusCodes` are HTTP statuses), or undefined.
 */
export const selectionProblem = (options: unknown): OptionsProblem | undefined => {
  if (options === undefined) return undefined
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    return { field: "options", reason: "must be an object" }
  }
  const { retryConnectionErrors, statusCodes } = options as Record<string, unknown>
  if (retryConnectionErrors !== undefined && typeof retryConnectionErrors !== "boolean") {
    return { field: "retryConnectionErrors", reason: "must be a boolean" }
  }
  const reason = statusCodes === undefined ? undefined : statusCodesProblem(statusCodes)
  return reason === undefined ? undefined : { field: "statusCodes", reason }
}

/**
 * Why `RetryPolicy.make`'s arguments cannot make a policy, or undefined: `isSchedule` says whether the schedule
 * given is one (the edition's `Schedule.isSchedule`); `options` is an object or undefined, whose `while`, when
 * given, is a function.
 */
export const makeProblem = (isSchedule: boolean, options: unknown): OptionsProblem | undefined => {
  if (!isSchedule) return { field: "schedule", reason: notSchedule }
  const optionsReason = objectProblem(options, true)
  if (optionsReason !== undefined) return { field: "options", reason: optionsReason }
  const predicate = options === undefined ? undefined : (options as Record<string, unknown>)["while"]
  const reason = predicate === undefined ? undefined : functionProblem(predicate)
  return reason === undefined ? undefined : { field: "while", reason }
}

/**
 * The first of `RetryPolicy.backoff`'s options that cannot be one, or
 * undefined when all can (a missing knob takes its default). `durationProblem`
 * is the edition's check of a positive duration (finite too when given the
 * reason an infinite one is refused): the first wait must be positive and
 * finite; `maxInterval` and `maxElapsedTime` positive, infinite meaning no
 * limit. The exponent is a finite number of at least 1; `times` an integer of
 * at least 0; `statusCodes` an array of HTTP statuses.
 */
export const optionsProblem = (
  options: unknown,
  durationProblem: (value: unknown, infinite?: string) => string | undefined
): OptionsProblem | undefined => {
  if (options === undefined) return undefined
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    return { field: "options", reason: "must be an object" }
  }
  const knobs = options as Record<string, unknown>
  const checks: ReadonlyArray<readonly [string, (value: unknown) => string | undefined]> = [
    ["initialInterval", (value) => durationProblem(value, "must be finite")],
    ["maxInterval", (value) => durationProblem(value)],
    ["maxElapsedTime", (value) => durationProblem(value)],
    ["exponent", exponentProblem],
    ["times", timesProblem],
    ["statusCodes", statusCodesProblem],
    ["retryConnectionErrors", booleanProblem],
    ["jitter", booleanProblem]
  ]
  for (const [field, check] of checks) {
    const value = knobs[field]
    const reason = value === undefined ? undefined : check(value)
    if (reason !== undefined) return { field, reason }
  }
  return undefined
}
