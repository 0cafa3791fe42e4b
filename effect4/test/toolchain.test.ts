import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import { nextHop } from "../../src/core/policy.js"

it.effect("the Effect 4 toolchain runs on Node >= 22.19 and reaches the shared core", () =>
  Effect.sync(() => {
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
    assert.isTrue(major > 22 || (major === 22 && minor >= 19))
    assert.isFunction(nextHop)
    assert.isDefined(HttpClient.HttpClient)
  })
)
