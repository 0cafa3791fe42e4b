// Runs before every test file (vitest.config.ts `setupFiles`): chai's deep equality able to tell Effect values,
// errors and Redacted values apart (test/support/deepEquality.ts).
import { Equal, Redacted } from "effect"
import { chai, expect } from "vitest"
import { installDeepEquality } from "./support/deepEquality.js"

installDeepEquality(chai, expect, Equal.symbol, Redacted.isRedacted)
