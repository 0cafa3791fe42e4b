/** The shared loopback cases (test/node/loopback.cases.ts) on this suite's Node (22). */
import { describe, it } from "vitest"
import { loopbackCases } from "../../../test/node/loopback.cases.js"

describe("the Effect-free fake and its loopback server (Node 22)", () => {
  loopbackCases((name, f) => it(name, f))
})
