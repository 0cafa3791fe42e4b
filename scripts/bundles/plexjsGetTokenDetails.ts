/**
 * Bundle-size entry: the same call as getTokenDetails.ts with
 * @lukehagar/plexjs 0.39.0, through its standalone function and minimal core
 * (the smallest way that SDK offers).
 */
import { PlexAPICore } from "@lukehagar/plexjs/core.js"
import { authenticationGetTokenDetails } from "@lukehagar/plexjs/funcs/authenticationGetTokenDetails.js"

const plex = new PlexAPICore({ accessToken: localStorage.getItem("plex-token") ?? "" })

void authenticationGetTokenDetails(plex).then((result) => {
  document.body.textContent = result.ok
    ? `Signed in as ${result.value.userPlexAccount?.username ?? "?"}`
    : `Failed: ${result.error.name}`
})
