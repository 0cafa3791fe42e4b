/**
 * The run's one build and packed tarball (test/support/build.ts), as a test
 * file gets it: the global setup starts it and the files that do not need it
 * run meanwhile; a file that needs it waits for it (in a hook or test with
 * {@link buildTimeout}).
 */
import { inject } from "vitest"
import { build, finished, type Packed, remove } from "./build.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the global setup's build is being made. */
    packedDir: string
  }
}

/**
 * How long a hook or test that waits for the build may take: the build
 * (`tsc -b` of the browser and Node parts, the CLI bundle, `npm pack`) takes half a minute on an
 * idle 2-core machine, several minutes on a loaded one.
 */
export const buildTimeout = 600_000

let own: Promise<Packed> | undefined

/**
 * The build of this run: the global setup's once it is done, or (for a file
 * run without it) one made here, once per worker, removed when the process
 * exits.
 */
export const packed = (): Promise<Packed> => {
  const provided = inject("packedDir") as string | undefined
  if (provided !== undefined) return finished(provided)
  if (own === undefined) {
    own = build()
    void own.then((made) => process.once("beforeExit", () => void remove(made)))
  }
  return own
}
