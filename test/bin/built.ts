/**
 * The built `plex-auth` CLI, for a test that needs a real process of the file
 * users run (cancel.test.ts: signals): the bundle of the run's one build
 * (test/support/packed.ts: `npm run build`'s dist/bin/plex-auth.js), which
 * starts in a fraction of the CPU time of the source run through tsx. Its
 * twin effect4/test/bin/built.ts gives the Effect 4 edition's bundle.
 */
import * as path from "node:path"
import { buildTimeout, packed } from "../support/packed.js"

/** How long a hook that waits for {@link builtCli} may take (the run's build may still be under way). */
export const builtCliTimeout = buildTimeout

/**
 * The path of the built `plex-auth.js`. `work` is a directory of the caller's (which it removes) where
 * the bundle may be built; this edition's comes from the run's one build, and needs none.
 */
export const builtCli = async (_work: string): Promise<string> =>
  path.join((await packed()).checkout, "dist", "bin", "plex-auth.js")
