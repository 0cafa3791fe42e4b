/**
 * The Effect 4 edition's engine CPU per request without the network (see
 * bench/engineCompare.ts): effect4-plex-auth beside Effect 4's bare `HttpClient`.
 *
 *   node scripts/node22.mjs --import tsx effect4/bench/engine.ts [requests per round = 5000] [rounds = 10]
 */
import { compare } from "../../bench/engineCompare.js"
import { effect4PlexAuth, effectHttp } from "./clients.js"

await compare((served) => [effectHttp(served), effect4PlexAuth(served)])
