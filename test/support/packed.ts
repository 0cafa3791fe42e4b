/**
 * The run's one build and packed tarball (test/support/build.ts), as a test
 * file gets it.
 */
import { inject } from "vitest"
import { build, type Packed, remove } from "./build.js"

declare module "vitest" {
  export interface ProvidedContext {
    packed: Packed
  }
}

let own: Promise<Packed> | undefined

/**
 * The build of this run: the global setup's, or (for a file run without it)
 * one made here, once per file, removed when the process exits.
 */
export const packed = (): Promise<Packed> => {
  const provided = inject("packed") as Packed | undefined
  if (provided !== undefined) return Promise.resolve(provided)
  if (own === undefined) {
    own = build()
    void own.then((made) => process.once("beforeExit", () => void remove(made)))
  }
  return own
}
