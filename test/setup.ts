// Runs before every test file (vitest.config.ts `setupFiles`): chai's deep equality able to tell Effect values,
// errors and Redacted values apart (test/support/deepEquality.ts), and chai able to print an error Effect wrapped in
// a Proxy inside a span (test/support/errorDisplay.ts).
import { Cause, Equal, Redacted } from "effect"
import { chai, expect } from "vitest"
import { installDeepEquality } from "./support/deepEquality.js"
import { installErrorDisplay } from "./support/errorDisplay.js"

installDeepEquality(chai, expect, Equal.symbol, Redacted.isRedacted)
installErrorDisplay(Cause.originalError)
