/**
 * The version `plex-auth --version` prints and the CLI sends as `X-Plex-Version`.
 *
 * A build (scripts/build-cli.ts, with the options of scripts/cli-bundle.ts)
 * writes package.json's version into the bundle through esbuild's `define`:
 * the bundle then reads no file to know it, wherever it is installed or
 * copied. Run from source (`npm run cli`, through tsx) there is no build: the
 * version comes from this repository's package.json.
 */
import { createRequire } from "node:module"

/** Replaced by the package's version in a build (esbuild `define`); not defined when run from source. */
declare const __PLEX_AUTH_VERSION__: string | undefined

/** What a run from source prints when the repository's package.json cannot be read. */
export const unknownVersion = "0.0.0-unknown"

const fromSource = (): string => {
  try {
    // src/bin/internal/version.ts → the repository's package.json.
    const pkg: unknown = createRequire(import.meta.url)("../../../package.json")
    return typeof pkg === "object" &&
      pkg !== null &&
      "name" in pkg &&
      pkg.name === "effect-plex-auth" &&
      "version" in pkg &&
      typeof pkg.version === "string"
      ? pkg.version
      : unknownVersion
  } catch {
    return unknownVersion
  }
}

/** The package's version. */
export const version: string =
  typeof __PLEX_AUTH_VERSION__ === "string" ? __PLEX_AUTH_VERSION__ : fromSource()
