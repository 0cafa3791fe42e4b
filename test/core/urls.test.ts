/**
 * The base URLs a program gives (src/core/urls.ts), shared by both editions' `PlexServer.fromParts`, `PlexTv`
 * and `Jwt` hosts.
 */
import { assert, describe, it } from "vitest"
import * as Urls from "../../src/core/urls.js"

describe("core/urls", () => {
  it("server parts: the defaults http, 127.0.0.1 and 32400", () => {
    assert.deepStrictEqual(Urls.serverParts(undefined), {
      _tag: "Parts",
      protocol: "http",
      ip: "127.0.0.1",
      port: 32400
    })
    assert.deepStrictEqual(Urls.serverParts({ protocol: "https", ip: "10.0.0.2", port: "32401" }), {
      _tag: "Parts",
      protocol: "https",
      ip: "10.0.0.2",
      port: 32401
    })
  })

  it("server parts: the field that is wrong, and why", () => {
    assert.deepStrictEqual(Urls.serverParts({ protocol: "ftp" }), {
      _tag: "Invalid",
      field: "protocol",
      reason: 'must be "http" or "https"'
    })
    assert.deepStrictEqual(Urls.serverParts({ port: 0 }), {
      _tag: "Invalid",
      field: "port",
      reason: "must be an integer from 1 to 65535"
    })
    assert.deepStrictEqual(Urls.serverParts(null as never), {
      _tag: "Invalid",
      field: "parts",
      reason: "must be an object, not null"
    })
  })

  it("a trailing /api/v2 is dropped from a plex.tv or JWT host URL, nothing else", () => {
    assert.strictEqual(Urls.withoutApiV2("https://plex.tv/api/v2"), "https://plex.tv")
    assert.strictEqual(Urls.withoutApiV2("https://clients.plex.tv"), "https://clients.plex.tv")
    assert.strictEqual(Urls.withoutApiV2("https://plex.tv/api/v2/x"), "https://plex.tv/api/v2/x")
  })
})
