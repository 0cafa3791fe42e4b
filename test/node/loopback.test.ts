/** The shared loopback cases (test/node/loopback.cases.ts) on this suite's Node (20). */
import { describe, it } from "vitest"
import { loopbackCases } from "./loopback.cases.js"

describe("the Effect-free fake and its loopback server (Node 20)", () => {
  loopbackCases((name, f) => it(name, f))
})
