// Serves a web-standard `(request: Request) => Promise<Response>` handler on 127.0.0.1 with the
// runtime's own server (Bun.serve, Deno.serve): no node:http. Shared by the scratch apps of
// scripts/runtimes.mjs, which copies this folder into an app that installed the packed package.

/** The runtime this runs on: "bun", "deno" or "node". */
export const runtime = () =>
  globalThis.Bun !== undefined ? "bun" : globalThis.Deno !== undefined ? "deno" : "node"

/** Serves `handler` on a free 127.0.0.1 port: its URL and how to stop it. */
export const serveOnLoopback = async (handler) => {
  if (globalThis.Bun !== undefined) {
    const server = globalThis.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler })
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) }
  }
  if (globalThis.Deno !== undefined) {
    const server = globalThis.Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler)
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() }
  }
  throw new Error("serveOnLoopback: neither Bun nor Deno")
}

/**
 * The fake Plex of `<package>/fake` (its `makeHandler`) served as plex.tv on loopback: the seed's
 * plex.tv origin becomes the server's URL, so every plex.tv URL the fake hands out is reachable.
 */
export const serveFake = async (makeHandler, options = {}) => {
  let fake
  const server = await serveOnLoopback((request) => fake.handler(request))
  fake = makeHandler({ ...options, rebase: (origin) => (origin === "https://plex.tv" ? server.url : origin) })
  if (fake.plexTvUrl !== server.url)
    throw new Error(`the fake's plex.tv is ${fake.plexTvUrl}, not ${server.url}`)
  return { fake, url: server.url, close: server.close }
}
