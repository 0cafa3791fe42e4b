/**
 * The version `plex-auth --version` prints and the CLI sends as
 * `X-Plex-Version`: written into the bundle by effect4/scripts/build-cli.ts
 * (esbuild `define`); from effect4/package.json when run from source.
 */
import { createRequire } from "node:module"

/** Replaced by the package's version in a build (esbuild `define`); not defined when run from source. */
declare const __PLEX_AUTH_VERSION__: string | undefined

const fromSource = (): string => {
  try {
    // effect4/src/bin/internal/version.ts → effect4/package.json.
    const pkg: unknown = createRequire(import.meta.url)("../../../package.json")
    return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string"
      ? pkg.version
      : "0.0.0-unknown"
  } catch {
    return "0.0.0-unknown"
  }
}

/** The package's version. */
export const version: string =
  typeof __PLEX_AUTH_VERSION__ === "string" ? __PLEX_AUTH_VERSION__ : fromSource()
