/**
 * `it` of @effect/vitest, as the tests the two editions share import it (test/support/it.ts in the Effect 3
 * edition gives its `it.effect` and `it.scoped` a test environment built for less CPU: Effect 3's
 * @effect/vitest builds a whole `TestContext` per test, 5-9 ms of CPU). Effect 4's @effect/vitest builds a
 * light one (about 0.3 ms), so this edition's is @effect/vitest's own.
 */
export { it } from "@effect/vitest"
