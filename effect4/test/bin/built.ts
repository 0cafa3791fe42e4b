/**
 * The built `plex-auth` CLI of the Effect 4 edition, for a test that needs a
 * real process of the file users run (cancel.test.ts: signals;
 * plex-auth.test.ts): under `npm test`, the bundle of the run's shared build
 * of this edition (`npm run build`'s dist/bin/plex-auth.js, made beside the
 * static checks: test/support/build.ts, handed on in
 * EFFECT_PLEX_AUTH_PACKED_DIR), rather than a bundle of its own (an esbuild
 * run of about 2 CPU-s); run without it (`npm test -w effect4`, one file),
 * built by the same script (scripts/build-cli.ts) in the caller's directory.
 * Its twin test/bin/built.ts gives the Effect 3 edition's.
 */
import * as path from "node:path"
import { finished, startedDirVariable } from "../../../test/support/build.js"
import { buildCli } from "../../scripts/build-cli.js"

/** How long a hook that waits for {@link builtCli} may take (the shared build may still be under way). */
export const builtCliTimeout = 600_000

/**
 * The path of the built `plex-auth.js` (the bin, with the bundle it imports beside it in internal/cli.js, and
 * nothing else in its directory): the shared build's, or one built in `work` (a directory of the caller's,
 * which it removes).
 */
export const builtCli = async (work: string): Promise<string> => {
  const shared = process.env[startedDirVariable]
  if (shared !== undefined && shared !== "") {
    const packed = await finished(shared, 4)
    return path.join(packed.checkout, "dist", "bin", "plex-auth.js")
  }
  const bin = path.join(work, "built", "plex-auth.js")
  await buildCli(bin)
  return bin
}
