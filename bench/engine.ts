/**
 * The Effect 3 edition's engine CPU per request without the network (see
 * bench/engineCompare.ts): effect-plex-auth beside the bare `@effect/platform` `HttpClient`.
 *
 *   node --import tsx bench/engine.ts [requests per round = 5000] [rounds = 10]
 */
import { effectPlatform, effectPlexAuth } from "./clients.js"
import { compare } from "./engineCompare.js"

await compare((served) => [effectPlatform(served), effectPlexAuth(served)])
