/**
 * The run's one build and packed tarball (test/support/build.ts), as a test
 * file gets it: the global setup starts it and the files that do not need it
 * run meanwhile; a file that needs it waits for it (in a hook or test with
 * {@link buildTimeout}).
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { inject } from "vitest"
import { build, type Edition, finished, type Packed, remove } from "./build.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the global setup's builds are being made. */
    packedDir: string
  }
}

/**
 * How long a hook or test that waits for the build may take: the build
 * (`tsc -b` of the browser and Node parts, the CLI bundle, `npm pack`) takes half a minute on an
 * idle 2-core machine, several minutes on a loaded one.
 */
export const buildTimeout = 600_000

const own = new Map<Edition, Promise<Packed>>()

/**
 * The Effect 3 edition's build of this run: the global setup's once it is done, or (for a file run
 * without it) one made here, once per worker, removed when the process exits.
 */
export const packed = (): Promise<Packed> => packedEdition(3)

/** The Effect 4 edition's build of this run, as {@link packed}. */
export const packedEffect4 = (): Promise<Packed> => packedEdition(4)

const packedEdition = (edition: Edition): Promise<Packed> => {
  const provided = inject("packedDir") as string | undefined
  if (provided !== undefined) return finished(provided, edition)
  let made = own.get(edition)
  if (made === undefined) {
    made = fs.mkdtemp(path.join(os.tmpdir(), "effect-plex-auth-package-")).then((dir) => {
      process.once("beforeExit", () => void remove({ dir }))
      return build(dir, edition)
    })
    own.set(edition, made)
  }
  return made
}
