/** The modules bench/scratch/build.mjs resolves when it bundles drive.ts for an edition. */
declare module "bench:clients" {
  import type { Client } from "../common.js"
  import type { Served } from "../shared.js"
  /** Effect 3 (bench/clients.ts). */
  export const effectPlatform: ((served: Served) => Client) | undefined
  export const effectPlexAuth: ((served: Served, library?: unknown) => Client) | undefined
  /** Effect 4 (effect4/bench/clients.ts). */
  export const effectHttp: ((served: Served) => Client) | undefined
  export const effect4PlexAuth: ((served: Served, library?: unknown) => Client) | undefined
}

/** The edition's library at the revision `REV` (its src/index.ts). */
declare module "bench:old" {
  const library: unknown
  export = library
}
