// The README's "npx plex-auth fake-server", on the runtime's own server: the fake Plex of
// `<package>/fake` as plex.tv on 127.0.0.1, approving each PIN a second after it is created. Prints
// `PLEX_TV_URL=<url>` and serves until killed. Usage: <runtime> serve-fake.mjs
import { makeHandler } from "./edition-fake.mjs"
import { serveFake } from "./serve.mjs"

const { url } = await serveFake(makeHandler, { autoApprovePins: { afterMillis: 1000 } })
console.log(`PLEX_TV_URL=${url}`)
