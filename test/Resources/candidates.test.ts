import { assert, describe, it } from "vitest"
import { Order, Schema } from "effect"
import { Resources } from "effect-plex-auth"

const id = "0123456789abcdef0123456789abcdef01234567"

const device = (fields: Record<string, unknown>): Resources.Device =>
  Schema.decodeUnknownSync(Resources.Device)({
    clientIdentifier: id,
    name: "Server",
    provides: "server",
    owned: true,
    accessToken: "server-token",
    ...fields
  })

const conn = (
  uri: string,
  address: string,
  port: number,
  flags: { local?: boolean; relay?: boolean; IPv6?: boolean } = {}
) => ({
  protocol: uri.startsWith("https") ? "https" : "http",
  address,
  port,
  uri,
  local: flags.local ?? false,
  relay: flags.relay ?? false,
  IPv6: flags.IPv6 ?? false
})

const localHttps = conn(`https://192-168-1-10.${id}.plex.direct:32400`, "192.168.1.10", 32400, {
  local: true
})
const remoteHttps = conn(`https://203-0-113-7.${id}.plex.direct:32400`, "203.0.113.7", 32400)
const relayHttps = conn(`https://198-51-100-3.${id}.plex.direct:8443`, "198.51.100.3", 8443, { relay: true })

const uris = (list: ReadonlyArray<Resources.Candidate>) => list.map((c) => c.uri)

describe("Resources.candidates", () => {
  it("each connection gives its uri, a local one http://address:port too, ranked local > remote > relay, https > http", () => {
    const server = device({ connections: [relayHttps, remoteHttps, localHttps] })
    const list = Resources.candidates(server)
    assert.deepStrictEqual(uris(list), [
      `https://192-168-1-10.${id}.plex.direct:32400`,
      "http://192.168.1.10:32400",
      `https://203-0-113-7.${id}.plex.direct:32400`,
      `https://198-51-100-3.${id}.plex.direct:8443`
    ])
    assert.deepStrictEqual(
      list.map((c) => `${c.location}/${c.protocol}`),
      ["local/https", "local/http", "remote/https", "relay/https"]
    )
    assert.strictEqual(list[0]?.connection, server.connections[2])
  })

  // Issue insecure41: when a remote connection's HTTPS uri failed, connect could pick http://<public IP>:32400
  // and send the server's token over the internet in clear. Plex's apps allow insecure connections only on the
  // server's network by default; a made-up plain-HTTP URL is for a LAN whose router blocks plex.direct names.
  it("a remote connection gets a made-up http://address:port only with httpsOnly: false; a listed http uri is kept", () => {
    const v6Remote = conn(`https://2001-db8--30.${id}.plex.direct:32400`, "2001:db8::30", 32400, {
      IPv6: true
    })
    const server = device({ connections: [remoteHttps, v6Remote] })
    for (const options of [{}, { httpsOnly: undefined }, { httpsOnly: true }, { includeLocal: true }]) {
      assert.deepStrictEqual(uris(Resources.candidates(server, options)), [
        `https://203-0-113-7.${id}.plex.direct:32400`,
        `https://2001-db8--30.${id}.plex.direct:32400`
      ])
    }
    // Asked for: plain HTTP to the public addresses too, ranked after HTTPS.
    assert.deepStrictEqual(
      Resources.candidates(server, { httpsOnly: false }).map((c) => `${c.location}/${c.protocol} ${c.uri}`),
      [
        `remote/https https://203-0-113-7.${id}.plex.direct:32400`,
        `remote/https https://2001-db8--30.${id}.plex.direct:32400`,
        "remote/http http://203.0.113.7:32400",
        "remote/http http://[2001:db8::30]:32400"
      ]
    )
    // A server with secure connections disabled: plex.tv lists the remote connection's uri as http://, kept as
    // listed (its address and port give no other URL); gone once HTTPS is required.
    const insecure = conn("http://203.0.113.8:32400", "203.0.113.9", 32401)
    assert.deepStrictEqual(uris(Resources.candidates(device({ connections: [insecure] }))), [
      "http://203.0.113.8:32400"
    ])
    assert.deepStrictEqual(
      uris(Resources.candidates(device({ connections: [insecure] }), { httpsOnly: false })),
      ["http://203.0.113.8:32400", "http://203.0.113.9:32401"]
    )
    assert.deepStrictEqual(Resources.candidates(device({ httpsRequired: true, connections: [insecure] })), [])
    // The same address listed as local gets its made-up URL: on the server's own network.
    assert.deepStrictEqual(
      uris(Resources.candidates(device({ connections: [{ ...remoteHttps, local: true }] }))),
      [`https://203-0-113-7.${id}.plex.direct:32400`, "http://203.0.113.7:32400"]
    )
  })

  it("a relay connection never yields a made-up plain-HTTP candidate, whatever the options", () => {
    const server = device({ connections: [relayHttps] })
    for (const options of [{}, { httpsOnly: false }, { includeLocal: true }]) {
      assert.deepStrictEqual(uris(Resources.candidates(server, options)), [
        `https://198-51-100-3.${id}.plex.direct:8443`
      ])
    }
    // A relay connection listed with a plain-HTTP uri keeps that uri (plex.tv's own), and nothing else.
    const listedHttp = conn("http://198.51.100.4:8080", "198.51.100.5", 8443, { relay: true })
    assert.deepStrictEqual(uris(Resources.candidates(device({ connections: [listedHttp] }))), [
      "http://198.51.100.4:8080"
    ])
    // An IPv6 relay: no bracketed http://[address]:port either.
    const v6Relay = conn(`https://2001-db8--20.${id}.plex.direct:8443`, "2001:db8::20", 8443, {
      relay: true,
      IPv6: true
    })
    assert.deepStrictEqual(
      Resources.candidates(device({ connections: [v6Relay] })).map((c) => c.protocol),
      ["https"]
    )
  })

  it("tries local connections whenever plex.tv lists them, ranked first, whatever publicAddressMatches says", () => {
    // Issue 14 item 5: Home members on the LAN, VPN and dual-stack users see publicAddressMatches false.
    for (const publicAddressMatches of [false, true, undefined]) {
      assert.deepStrictEqual(
        Resources.candidates(device({ publicAddressMatches, connections: [remoteHttps, localHttps] })).map(
          (c) => c.location
        ),
        ["local", "local", "remote"]
      )
    }
    const away = device({ publicAddressMatches: false, connections: [localHttps, remoteHttps] })
    assert.deepStrictEqual(
      Resources.candidates(away, { includeLocal: false }).map((c) => c.location),
      ["remote"]
    )
  })

  it("tries a shared server's local connections too; includeLocal overrides both ways", () => {
    const shared = device({ owned: false, connections: [localHttps, remoteHttps] })
    assert.deepStrictEqual(
      Resources.candidates(shared).map((c) => c.location),
      ["local", "local", "remote"]
    )
    assert.deepStrictEqual(
      Resources.candidates(shared, { includeLocal: false }).map((c) => c.location),
      ["remote"]
    )
    assert.deepStrictEqual(
      Resources.candidates(shared, { includeLocal: true }).map((c) => c.location),
      ["local", "local", "remote"]
    )
    const owned = device({ connections: [localHttps, remoteHttps] })
    assert.deepStrictEqual(
      Resources.candidates(owned, { includeLocal: false }).map((c) => c.location),
      ["remote"]
    )
    // A device that does not say it is owned is treated as not owned; its local connection is still tried.
    const unknown = device({ owned: undefined, connections: [localHttps] })
    assert.isFalse(unknown.owned)
    assert.deepStrictEqual(
      Resources.candidates(unknown).map((c) => c.location),
      ["local", "local"]
    )
  })

  it("brackets IPv6 addresses and marks IPv6 candidates", () => {
    const v6 = conn(`https://2001-db8--10.${id}.plex.direct:32400`, "2001:db8::10", 32400, {
      IPv6: true,
      local: true
    })
    const [https, http] = Resources.candidates(device({ connections: [v6] }))
    assert.strictEqual(https?.uri, `https://2001-db8--10.${id}.plex.direct:32400`)
    assert.strictEqual(http?.uri, "http://[2001:db8::10]:32400")
    assert.isTrue(https?.ipv6)
    assert.isTrue(http?.ipv6)
    // An already bracketed address is not bracketed twice.
    const bracketed = conn("http://[2001:db8::11]:32400", "[2001:db8::11]", 32400)
    assert.deepStrictEqual(uris(Resources.candidates(device({ connections: [bracketed] }))), [
      "http://[2001:db8::11]:32400"
    ])
  })

  it("removes duplicates, keeping the best-ranked occurrence", () => {
    // An http connection's uri is its http://address:port; the same address listed twice.
    const plain = conn("http://192.168.1.10:32400/", "192.168.1.10", 32400, { local: true })
    const again = conn("http://192.168.1.10:32400", "192.168.1.10", 32400)
    const list = Resources.candidates(device({ connections: [again, plain, localHttps] }))
    assert.deepStrictEqual(uris(list), [
      `https://192-168-1-10.${id}.plex.direct:32400`,
      "http://192.168.1.10:32400"
    ])
    assert.strictEqual(list[1]?.location, "local")
  })

  it("drops what cannot be a base URL; keeps what can", () => {
    const list = Resources.candidates(
      device({
        connections: [
          { uri: "ftp://192.168.1.10:21", address: "192.168.1.10", port: 32400, local: true },
          { uri: "not a url", local: true },
          { uri: "https://user:pw@example.com:32400", local: true },
          { address: "192.168.1.12", port: "32401", local: "1" },
          { address: "bad host/name", port: 1, local: true },
          "garbage",
          null
        ]
      })
    )
    assert.deepStrictEqual(uris(list), ["http://192.168.1.10:32400", "http://192.168.1.12:32401"])
  })

  // A device made by hand (untyped JavaScript, a device kept as JSON): an address that is not a string threw
  // a TypeError (`address.trim`), here and in `connect`, where a `uri` that is not one is dropped.
  it("a connection made by hand whose address is not a string gives no http://address:port, never a TypeError", () => {
    const server = device({ connections: [] })
    const list = Resources.candidates({
      ...server,
      connections: [
        { address: 1, port: 32400, local: true },
        { address: ["192.168.1.10"], port: 32400, local: true },
        { uri: 5, address: { trim: 1 }, port: 32400, local: true },
        { address: "192.168.1.12", port: 32401, local: true, relay: false, IPv6: false }
      ] as never
    })
    assert.deepStrictEqual(uris(list), ["http://192.168.1.12:32401"])
  })

  // A device kept by hand or from untyped JavaScript may spell a flag as plex.tv's XML does ("0", "1"): `local` and
  // `relay` are read as a decoded connection reads them, never by truthiness. A truthy "0" made a remote connection
  // local: a made-up http://<public address>:port, where the token check sends the server's token in clear.
  it('reads a hand-made connection\'s local and relay as the decoder does: "0" is remote, no made-up plain HTTP', () => {
    const server = device({ connections: [] })
    const remote = { uri: remoteHttps.uri, address: remoteHttps.address, port: 32400 }
    const list = (flags: Record<string, unknown>) =>
      Resources.candidates({ ...server, connections: [{ ...remote, ...flags }] as never }).map(
        (c) => `${c.uri} ${c.location}`
      )
    for (const no of [false, "0", "false", 0]) {
      assert.deepStrictEqual(list({ local: no }), [`${remoteHttps.uri} remote`], `local ${String(no)}`)
      assert.deepStrictEqual(list({ relay: no }), [`${remoteHttps.uri} remote`], `relay ${String(no)}`)
    }
    assert.deepStrictEqual(list({ local: "1", relay: "0" }), [
      `${remoteHttps.uri} local`,
      "http://203.0.113.7:32400 local"
    ])
    assert.deepStrictEqual(list({ local: "0", relay: "1" }), [`${remoteHttps.uri} relay`])
  })

  // The device's `httpsRequired` and a connection's `IPv6` too: a hand-made `httpsRequired: "0"` (plex.tv's XML
  // spelling) made every candidate HTTPS only, as if the server required it, and an `IPv6: "0"` gave a candidate
  // `ipv6: "0"`, a string a caller's ranking reads as true.
  it("reads a hand-made device's httpsRequired and a connection's IPv6 as the decoder does: \"0\" is no", () => {
    const server = device({ connections: [] })
    const list = (httpsRequired: unknown, IPv6: unknown) =>
      Resources.candidates({
        ...server,
        httpsRequired,
        connections: [{ ...localHttps, IPv6 }]
      } as never).map((c) => `${c.uri} ${String(c.ipv6)}`)
    for (const no of [false, "0", "false", 0]) {
      assert.deepStrictEqual(
        list(no, no),
        [`${localHttps.uri} false`, "http://192.168.1.10:32400 false"],
        String(no)
      )
    }
    for (const yes of [true, "1", "true", 1]) {
      assert.deepStrictEqual(list(yes, yes), [`${localHttps.uri} true`], String(yes))
    }
  })

  it("https only when the server requires it, or when asked", () => {
    const required = device({ httpsRequired: true, connections: [localHttps, remoteHttps] })
    assert.deepStrictEqual(
      Resources.candidates(required).map((c) => c.protocol),
      ["https", "https"]
    )
    assert.strictEqual(Resources.candidates(required, { httpsOnly: false }).length, 4)
    const relaxed = device({ connections: [localHttps] })
    assert.deepStrictEqual(
      Resources.candidates(relaxed, { httpsOnly: true }).map((c) => c.protocol),
      ["https"]
    )
  })

  it("a custom ranking: preferring(...) or any Order", () => {
    const server = device({ connections: [relayHttps, remoteHttps, localHttps] })
    const httpFirst = Resources.candidates(server, {
      rank: Resources.preferring({ protocols: ["http", "https"] })
    })
    assert.deepStrictEqual(
      httpFirst.map((c) => `${c.location}/${c.protocol}`),
      ["local/http", "local/https", "remote/https", "relay/https"]
    )
    const remoteFirst = Resources.candidates(server, {
      rank: Resources.preferring({ locations: ["remote"] })
    })
    // Unlisted locations come after the listed ones and tie among themselves: then https before
    // http, and plex.tv's order (relay was listed before local).
    assert.deepStrictEqual(
      remoteFirst.map((c) => `${c.location}/${c.protocol}`),
      ["remote/https", "relay/https", "local/https", "local/http"]
    )
    const byPort = Order.mapInput(Order.number, (c: Resources.Candidate) => Number(new URL(c.uri).port))
    const ties = Resources.candidates(server, { rank: byPort })
    // The lowest port first; ties keep the order plex.tv listed the connections in.
    assert.deepStrictEqual(uris(ties), [
      `https://198-51-100-3.${id}.plex.direct:8443`,
      `https://203-0-113-7.${id}.plex.direct:32400`,
      `https://192-168-1-10.${id}.plex.direct:32400`,
      "http://192.168.1.10:32400"
    ])
  })

  it("a device without connections has no candidates", () => {
    assert.deepStrictEqual(Resources.candidates(device({})), [])
    assert.deepStrictEqual(Resources.candidates(device({ connections: null })), [])
  })
})

describe("Resources.isServer", () => {
  it("reads provides as a comma-separated list", () => {
    assert.isTrue(Resources.isServer(device({ provides: "server" })))
    assert.isTrue(Resources.isServer(device({ provides: "client, Server ,sync-target" })))
    assert.isFalse(Resources.isServer(device({ provides: "client,player,pubsub-player" })))
    assert.isFalse(Resources.isServer(device({ provides: "serverless" })))
    assert.isFalse(Resources.isServer(device({ provides: null })))
  })
})
