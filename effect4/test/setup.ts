// Runs before every test file (vitest.config.ts `setupFiles`): chai's deep equality able to tell Effect values,
// errors and Redacted values apart (the Effect-free implementation both editions share, ../../test/support/deepEquality.ts).
import { Equal, Redacted } from "effect"
import { chai, expect } from "vitest"
import { installDeepEquality } from "../../test/support/deepEquality.js"

installDeepEquality(chai, expect, Equal.symbol, Redacted.isRedacted)
