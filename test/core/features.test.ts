/**
 * The protocol facts of the issue-17 features (Home, ServerAccess, Claim,
 * Devices, Link, ServerClient) in src/core, shared by both editions: plain
 * functions, tested without Effect.
 */
import { assert, describe, it } from "vitest"
import * as Access from "../../src/core/access.js"
import * as Claim from "../../src/core/claim.js"
import * as D from "../../src/core/decode.js"
import * as P from "../../src/core/decodeSchemas.js"
import * as Devices from "../../src/core/devices.js"
import * as Home from "../../src/core/home.js"
import * as ServerClient from "../../src/core/serverClient.js"
import * as Xml from "../../src/core/xml.js"
import { secret, secrets } from "./box.js"

describe("core/home", () => {
  const home = [
    { id: 1, uuid: "u-alice", title: "alice", username: "alice", email: "alice@example.com" },
    { id: 2, uuid: "u-kids", title: "Kids" },
    { id: 3, uuid: "u-bob", title: "Bob", username: "bobby" }
  ]

  it("routes: the v2 home users and the switch, the uuid encoded in the path", () => {
    assert.strictEqual(Home.usersPath, "/api/v2/home/users")
    assert.strictEqual(Home.switchPath("a/b c"), "/api/v2/home/users/a%2Fb%20c/switch")
    assert.strictEqual(Home.pinField, "pin")
  })

  it("the switch's PIN is a query parameter, as python-plexapi and @ctrl/plex send it; none without one", () => {
    assert.deepStrictEqual(Home.switchQuery("1234"), [["pin", "1234"]])
    assert.deepStrictEqual(Home.switchQuery(undefined), [])
  })

  it("finds a user by id, uuid, exact title/username/email, then ignoring case", () => {
    assert.strictEqual(Home.findUser(home, 2)?.title, "Kids")
    assert.strictEqual(Home.findUser(home, " u-bob ")?.id, 3)
    assert.strictEqual(Home.findUser(home, "alice@example.com")?.id, 1)
    assert.strictEqual(Home.findUser(home, "bobby")?.id, 3)
    assert.strictEqual(Home.findUser(home, "KIDS")?.id, 2)
    assert.strictEqual(Home.findUser(home, "BOBBY")?.id, 3)
    assert.isUndefined(Home.findUser(home, "carol"))
  })

  // python-plexapi `MyPlexAccount.user` and @ctrl/plex `MyPlexAccount.user` compare an email lower-cased, as mail
  // systems do; only the title and username were.
  it("finds a user by its email in any case, as python-plexapi and @ctrl/plex do", () => {
    assert.strictEqual(Home.findUser(home, "Alice@Example.COM")?.id, 1)
    assert.strictEqual(Home.findUser(home, " ALICE@EXAMPLE.COM ")?.id, 1)
  })

  it("a PIN is four digits (spaces trimmed); a user is a non-empty name or id", () => {
    assert.isUndefined(Home.pinProblem(" 1234 "))
    assert.strictEqual(Home.pinValue(" 1234 "), "1234")
    for (const bad of ["123", "12345", "12ab", "", 1234, undefined]) {
      assert.strictEqual(Home.pinProblem(bad), "must be four digits")
    }
    assert.isUndefined(Home.userProblem("Kids"))
    assert.isUndefined(Home.userProblem(0))
    assert.isDefined(Home.userProblem("  "))
    assert.isDefined(Home.userProblem(null))
    // The refusals name every way a user may be given, email included (Home.findUser matches it).
    assert.match(Home.userProblem(null) ?? "", /id, uuid, title, username or email$/)
    assert.match(Home.homeUserProblem({}) ?? "", /id, uuid, title, username or email$/)
  })

  it("a 403 or code 1041 is about the PIN: required without one, refused with one; else not", () => {
    assert.strictEqual(Home.pinRefusal(403, [], false), "HomePinRequired")
    assert.strictEqual(Home.pinRefusal(403, [], true), "InvalidHomePin")
    assert.strictEqual(Home.pinRefusal(401, [{ code: 1041 }], true), "InvalidHomePin")
    assert.strictEqual(Home.pinRefusal(400, [{ code: 1041 }], false), "HomePinRequired")
    assert.isUndefined(Home.pinRefusal(401, [{ code: 1001 }], true))
    assert.isUndefined(Home.pinRefusal(400, [], false))
  })

  it("messages name the user and Plex's codes, never a PIN", () => {
    assert.strictEqual(
      Home.userNotFoundMessage("Home.switchUser", "carol", ["alice", "Kids"]),
      'Home.switchUser: no Plex Home user "carol" (the home has: "alice", "Kids"); switch to one of those'
    )
    // No list (plex.tv answered 404 for a listed user): not "the home has: none", which the home's listing belied.
    assert.strictEqual(
      Home.userNotFoundMessage("op", "Kids", []),
      `op: plex.tv knows no Plex Home user "Kids" (any more); list the home's users again (Home.users)`
    )
    // Each says what to do, as docs/home.md's table does.
    assert.strictEqual(
      Home.invalidPinMessage("op", "Kids", 403, [{ code: 1041, message: "Invalid PIN" }]),
      'op: the PIN for Plex Home user "Kids" was not accepted (HTTP 403) (1041 Invalid PIN); ask for the PIN again'
    )
    assert.strictEqual(
      Home.pinRequiredMessage("op", "Kids", []),
      `op: Plex Home user "Kids" is protected by a PIN; none was given; ask for the user's PIN and switch with it`
    )
  })

  it("a sign-out's extra revokes: each token once, in order, never one done nor one of the caller's own", () => {
    const id = (token: string) => token
    assert.deepStrictEqual(Home.signOutAlsoRevokes(["b", "a", "b", "c"], ["a"], id), ["b", "c"])
    // The caller's own token (the admin's, which a switch to its own profile may hand back): never an extra revoke.
    assert.deepStrictEqual(Home.signOutAlsoRevokes(["b", "admin", "c"], ["a"], id, ["admin"]), ["b", "c"])
    assert.deepStrictEqual(Home.signOutAlsoRevokes(["admin"], [], id, ["admin"]), [])
    assert.isTrue(Home.signOutRevokesAtOnce > 1)
  })

  it("a blank PIN (a PIN box left empty) is none, as python-plexapi's `if pin:` and a blank PLEX_HOME_PIN", () => {
    for (const blank of ["", " ", "\t "]) assert.isTrue(Home.pinBlank(blank))
    for (const given of ["1234", " 12", "0000", undefined, 0, null]) assert.isFalse(Home.pinBlank(given))
  })
})

describe("core/access", () => {
  const device = (
    fields: Partial<Access.DeviceFacts> & { clientIdentifier: string }
  ): Access.DeviceFacts => ({
    provides: "server",
    owned: false,
    ...fields
  })

  it("the resources decide: owned, home, shared (with the share), a player is not the server, absent", () => {
    assert.strictEqual(Access.accessIn([device({ clientIdentifier: "m1", owned: true })], "m1")._tag, "Owner")
    assert.strictEqual(
      Access.accessIn([device({ clientIdentifier: "m1", home: true })], "m1")._tag,
      "HomeMember"
    )
    const shared = Access.accessIn(
      [device({ clientIdentifier: "m1", ownerId: 7, sourceTitle: "alice", provides: "client,server" })],
      "m1"
    )
    assert.deepStrictEqual(shared._tag === "Shared" ? shared.share : undefined, {
      ownerId: 7,
      sourceTitle: "alice"
    })
    assert.strictEqual(
      Access.accessIn([device({ clientIdentifier: "m1", provides: "player", owned: true })], "m1")._tag,
      "NoAccess"
    )
    assert.strictEqual(Access.accessIn([], "m1")._tag, "NoAccess")
  })

  it("a failure to ask is never NoAccess: a refused token is InvalidToken, anything else Unknown", () => {
    for (const status of [401, 422, 498])
      assert.strictEqual(Access.failure("Unauthorized", status), "InvalidToken")
    for (const tag of ["NetworkError", "Unexpected", "RateLimited", "BadRequest"]) {
      assert.strictEqual(Access.failure(tag, 500), "Unknown")
    }
  })

  it("a 403 is Unknown, not InvalidToken: plex.tv refuses a valid token's account with it, not the token", () => {
    assert.strictEqual(Access.failure("Unauthorized", 403), "Unknown")
  })

  it("machine identifiers: trimmed letters, digits, - and _; anything else refused", () => {
    assert.strictEqual(Access.machineIdentifier(" abc-DEF_123 "), "abc-DEF_123")
    for (const bad of ["../x", "a b", "", 12, undefined]) assert.isUndefined(Access.machineIdentifier(bad))
    assert.strictEqual(Access.sharedServersPath("m1"), "/api/servers/m1/shared_servers")
    // The legacy routes, as python-plexapi and @ctrl/plex call them (trailing slash included), answer XML.
    assert.strictEqual(Access.friendsPath, "/api/users/")
    assert.strictEqual(Access.legacyAnswers, Xml.answers)
  })

  it("the owner's friends and home users with access (not a pending invitation), and the owner's answer", () => {
    const friends = [
      { id: 2, home: true, servers: [{ machineIdentifier: "m1" }] },
      { id: 3, home: false, servers: [{ machineIdentifier: "m1" }, { machineIdentifier: "m2" }] },
      { id: 4, home: false, servers: [{ machineIdentifier: "m1", pending: true }] },
      { id: 5, home: false, servers: [{ machineIdentifier: "m2" }] }
    ]
    const users = Access.usersOf(friends, "m1")
    assert.deepStrictEqual(
      users.map((u) => [u.user.id, u._tag]),
      [
        [2, "HomeMember"],
        [3, "Shared"]
      ]
    )
    assert.deepStrictEqual(Access.ownerDecision(1, 1, users), { _tag: "Owner" })
    assert.strictEqual(Access.ownerDecision(2, 1, users)._tag, "HomeMember")
    assert.strictEqual(Access.ownerDecision(3, 1, users)._tag, "Shared")
    assert.strictEqual(Access.ownerDecision(4, 1, users)._tag, "NoAccess")
  })

  // The one test that reads the deprecated `access` of ServerAccess's users (set here, for both editions'
  // `ServerAccess.users` and `usersOf`; every other test reads `_tag`).
  it("the deprecated `access` of a user with access still reads the same word as `_tag`", () => {
    const users = Access.usersOf(
      [
        { id: 2, home: true, servers: [{ machineIdentifier: "m1" }] },
        { id: 3, home: false, servers: [{ machineIdentifier: "m1" }] }
      ],
      "m1"
    )
    assert.deepStrictEqual(
      users.map((u) => [u._tag, u.access]),
      [
        ["HomeMember", "HomeMember"],
        ["Shared", "Shared"]
      ]
    )
  })
})

describe("core/claim and core/devices", () => {
  it("claim: the token route, the claim route with the token in its query, the messages", () => {
    assert.strictEqual(Claim.claimTokenPath, "/api/claim/token.json")
    assert.strictEqual(Claim.claimPath, "/myplex/claim")
    assert.deepStrictEqual(Claim.claimQuery("claim-x"), [["token", "claim-x"]])
    assert.strictEqual(
      Claim.rejectedMessage("Claim.claimServer", "http://s:32400", 400, []),
      "Claim.claimServer: the server at http://s:32400 refused the claim (HTTP 400); claim it again with a fresh claim token, from the server's own network"
    )
    // A 401 is also what a server claimed since its /identity was read answers (docs/claim.md).
    assert.strictEqual(
      Claim.rejectedMessage("Claim.claimServer", "http://s:32400", 401, [{ code: 1001 }]),
      "Claim.claimServer: the server at http://s:32400 refused the claim (HTTP 401) (1001); claim it again with a fresh claim token, from the server's own network (or it was claimed since: read its /identity)"
    )
    // Whose a claimed server is: plex.tv's list of this account's servers tells (its /identity does not). Listed
    // and owned: this account's; listed, not owned (shared): another's; not listed: not known (a server claimed
    // moments ago may not be listed yet), as when the list could not be read.
    const servers = [
      { clientIdentifier: "mine", owned: true },
      { clientIdentifier: "shared", owned: false }
    ]
    assert.deepStrictEqual(
      ["mine", "shared", "elsewhere"].map((id) => Claim.claimedBy(servers, id)),
      ["ThisAccount", "AnotherAccount", "Unknown"]
    )
    assert.strictEqual(Claim.claimedBy(undefined, "mine"), "Unknown")
    assert.strictEqual(Claim.claimedBy([], "mine"), "Unknown")
    // The message says which, and what to do for each: nothing, the owner's steps, or how to find out.
    assert.deepStrictEqual(
      (["ThisAccount", "AnotherAccount", "Unknown"] as const).map((by) =>
        Claim.alreadyClaimedMessage("op", "http://s:32400", "m1", by)
      ),
      [
        "op: the server m1 at http://s:32400 is already claimed by this account: nothing to do",
        "op: the server m1 at http://s:32400 is already claimed by another account (plex.tv lists it for this account, but not as its own): sign in as its owner, or have the owner remove it from their account (their authorized devices; Devices.revoke) and claim it again",
        "op: the server m1 at http://s:32400 is already claimed, by this account or another (plex.tv's list of this account's servers could not be read, or does not have it: a server claimed moments ago may not be listed yet; Resources.servers() lists it, owned, once it is this account's): if another's, sign in as its owner, or have the owner remove it from their account (their authorized devices; Devices.revoke) and claim it again"
      ]
    )
  })

  it("devices: the routes, positive integer ids; link: the route, codes of letters and digits", () => {
    // python-plexapi `MyPlexDevice.key` / `delete`, @ctrl/plex `MyPlexDevice.key` / `delete`: the XML routes.
    assert.strictEqual(Devices.devicesPath, "/devices.xml")
    assert.strictEqual(Devices.devicesAnswers, Xml.answers)
    assert.strictEqual(Devices.revokePath(42), "/devices/42.xml")
    assert.deepStrictEqual(Devices.linkHeaders, { "X-Plex-Product": "Plex SSO" })
    assert.isUndefined(Devices.deviceIdProblem(42))
    for (const bad of [0, -1, 1.5, Number.NaN, "42"]) assert.isDefined(Devices.deviceIdProblem(bad))
    assert.strictEqual(Devices.linkPath, "/api/v2/pins/link")
    assert.strictEqual(Devices.linkCode(" abcd "), "ABCD")
    assert.strictEqual(Devices.linkCode("7kq2"), "7KQ2")
    for (const bad of ["abc", "a b", "", 1234, "x".repeat(65)]) assert.isUndefined(Devices.linkCode(bad))
    // plex.tv/link takes a short PIN's four-character code only: a strong PIN's (25 characters) is refused at once.
    for (const strong of ["abcde", "4ppmkrpcsdqvhwfx9fkn7wdvr"]) assert.isUndefined(Devices.linkCode(strong))
    assert.include(Devices.linkCodeProblem, "four-character")
  })
})

describe("core/serverClient", () => {
  const base = "http://10.0.0.5:32400"
  const origin = "http://10.0.0.5:32400"

  it("a path goes on the server; an absolute URL only on its origin, without credentials", () => {
    const path = ServerClient.target(base, origin, "/library/sections?x=1")
    assert.strictEqual("url" in path ? path.url.toString() : "", `${base}/library/sections?x=1`)
    assert.isTrue("url" in ServerClient.target(base, origin, `${origin}/identity`))
    for (const refused of [
      "http://evil.example/",
      "@evil.example/",
      "not a url",
      "http://u:p@10.0.0.5:32400/"
    ]) {
      assert.isTrue("problem" in ServerClient.target(base, origin, refused), refused)
    }
  })

  it("the query never carries a token", () => {
    const url = new URL(`${base}/a?X-Plex-Token=leak&x=1`)
    assert.deepStrictEqual(ServerClient.query(url, [["y", "2"]]), [
      ["x", "1"],
      ["y", "2"]
    ])
  })

  it("redirects by the shared policy: the token only to the server's origin, never in a query", () => {
    const same = ServerClient.redirect(
      origin,
      `${base}/`,
      "GET",
      302,
      "/identity?X-Plex-Token=leak&a=1",
      0,
      "T"
    )
    assert.deepStrictEqual(same, {
      _tag: "Follow",
      url: `${base}/identity`,
      query: [["a", "1"]],
      hash: undefined,
      toGet: false,
      withToken: true
    })
    const away = ServerClient.redirect(origin, `${base}/`, "POST", 302, "http://elsewhere/x?k=T&b=2", 0, "T")
    assert.strictEqual(away._tag, "Follow")
    if (away._tag === "Follow") {
      assert.isFalse(away.withToken)
      assert.isTrue(away.toGet)
      assert.deepStrictEqual(away.query, [["b", "2"]])
      // Elsewhere: the token, the identity (X-Plex-* and the identity's own), credentials, trace context (W3C baggage too); the
      // content headers of the dropped body. What the request needs stays.
      const names = [
        "x-plex-token",
        "x-plex-client-identifier",
        "x-plex-client-profile-extra",
        "x-my-device",
        "authorization",
        "proxy-authorization",
        "cookie",
        "host",
        "traceparent",
        "tracestate",
        "b3",
        "x-b3-traceid",
        "baggage",
        "content-type",
        "content-length",
        "accept",
        "range",
        "x-mine"
      ]
      assert.deepStrictEqual(ServerClient.droppedOnRedirect(away, names, ["x-my-device"]), names.slice(0, 15))
      // On the server's origin only the content headers go, and those only with the body.
      assert.deepStrictEqual(
        ServerClient.droppedOnRedirect({ ...away, withToken: true }, names, ["x-my-device"]),
        ["content-type", "content-length"]
      )
      assert.deepStrictEqual(
        ServerClient.droppedOnRedirect({ toGet: false, withToken: true }, names, ["x-my-device"]),
        []
      )
    }
    // A fragment carrying the token is dropped (never sent, but shown in a span's url.full); another is kept.
    assert.include(ServerClient.redirect(origin, `${base}/`, "GET", 302, "/a#X-Plex-Token=T", 0, "T"), {
      hash: undefined
    })
    assert.include(ServerClient.redirect(origin, `${base}/`, "GET", 302, "/a#k", 0, "T"), { hash: "k" })
    assert.strictEqual(ServerClient.fragment("t=T", "T"), undefined)
    // Percent-encoded, as the URL parser writes what a fragment cannot hold, or encoded whole.
    assert.strictEqual(ServerClient.fragment("t=a%3Cb", "a<b"), undefined)
    assert.strictEqual(ServerClient.fragment("t=%54%4f%4B", "TOK"), undefined)
    assert.strictEqual(ServerClient.fragment("t=%zz%", "TOK"), "t=%zz%")
    assert.strictEqual(ServerClient.fragment("t=%54%4f", "TOK"), "t=%54%4f")
    assert.strictEqual(ServerClient.fragment("", "T"), undefined)
    assert.strictEqual(ServerClient.fragment("k", "T"), "k")
    const loop = ServerClient.redirect(origin, `${base}/`, "GET", 302, "/", 5, "T")
    assert.deepStrictEqual(loop, { _tag: "Refuse", detail: "more than 5 redirects" })
    assert.strictEqual(
      ServerClient.redirect(origin, `${base}/`, "GET", 302, "ftp://x/", 0, "T")._tag,
      "Refuse"
    )
  })

  it("media URLs: no token unless asked for", () => {
    assert.strictEqual(
      ServerClient.mediaUrl(`${base}/`, "library/parts/1/file.mkv", { download: "1", "x-plex-token": "no" }),
      `${base}/library/parts/1/file.mkv?download=1`
    )
    assert.strictEqual(ServerClient.mediaUrlWithToken(base, "/a", {}, "T"), `${base}/a?X-Plex-Token=T`)
  })

  it("media URLs: the rest of the path's query is kept as written when a token is dropped, added or a param set", () => {
    // A transcoder URL as a server lists it: its nested path percent-encoded, a space as %20, a colon as written.
    const path =
      "/photo/:/transcode?url=/library/metadata/1/thumb/2%3Fa%3Db&width=100&x-plex-token=LISTED&q=a%20b:c"
    assert.strictEqual(
      ServerClient.mediaUrl(base, path),
      `${base}/photo/:/transcode?url=/library/metadata/1/thumb/2%3Fa%3Db&width=100&q=a%20b:c`
    )
    // A param named in the query takes its place (its first occurrence; a second goes), others are added after.
    assert.strictEqual(
      ServerClient.mediaUrl(base, path, { width: "200", height: "1 2", "X-Plex-Token": "no" }),
      `${base}/photo/:/transcode?url=/library/metadata/1/thumb/2%3Fa%3Db&width=200&q=a%20b:c&height=1+2`
    )
    assert.strictEqual(ServerClient.mediaUrl(base, "/a?k=1&k=2&b=%20", { k: "3" }), `${base}/a?k=3&b=%20`)
    // A token under any spelling of its name, encoded or with an empty value, is dropped; an empty query goes.
    assert.strictEqual(ServerClient.mediaUrl(base, "/a?X%2DPlex%2DToken=T&X-PLEX-TOKEN&"), `${base}/a`)
    assert.strictEqual(ServerClient.mediaUrl(base, "/a?bad=%E0%A4%A&k=1"), `${base}/a?bad=%E0%A4%A&k=1`)
    assert.strictEqual(
      ServerClient.mediaUrlWithToken(base, `${path}&t=%2F`, {}, "T/+"),
      `${base}/photo/:/transcode?url=/library/metadata/1/thumb/2%3Fa%3Db&width=100&q=a%20b:c&t=%2F&X-Plex-Token=T%2F%2B`
    )
  })

  it("media URLs: a query whose first key starts with '?' keeps it (a doubled '?' never turns into a token)", () => {
    // `?X-Plex-Token` is a key of its own, not the token, and stays one: the URL's `search` setter drops a leading
    // `?` of what it is given, which would make it `X-Plex-Token`, the token in a URL meant to carry none.
    const doubled = "/library/parts/1/file.mp4??X-Plex-Token=SECRET"
    const url = ServerClient.mediaUrl(base, doubled)
    assert.deepStrictEqual(new URL(url).searchParams.getAll("X-Plex-Token"), [])
    assert.strictEqual(url, `${base}/library/parts/1/file.mp4??X-Plex-Token=SECRET`)
    assert.strictEqual(ServerClient.mediaUrl(base, "/a??=k", { k: "1" }), `${base}/a??=k&k=1`)
    assert.strictEqual(
      ServerClient.mediaUrlWithToken(base, "/a??k=1", {}, "T"),
      `${base}/a??k=1&X-Plex-Token=T`
    )
  })
})

describe("payload tables of the features", () => {
  it("home users: lenient flags, defaults, malformed users dropped; a switch's token hidden", () => {
    const users = D.struct(Home.homeUsersFields(D.struct(Home.homeUserFields(), secrets)), secrets)
    const decoded = users.decode({
      id: "3",
      users: [{ id: "7", uuid: 12, protected: "1", restricted: 1 }, { uuid: "no-id" }, null]
    })
    assert.notInstanceOf(decoded, D.Failure)
    const home = decoded as D.StructType<ReturnType<typeof Home.homeUsersFields<any>>>
    assert.strictEqual(home.id, 3)
    assert.deepStrictEqual(home.users, [
      { id: 7, uuid: "12", title: "", restricted: true, admin: false, guest: false, protected: true }
    ])
    const account = D.struct(Home.switchedAccountFields(secret), secrets).decode({
      id: 7,
      uuid: "u",
      authToken: "kids-token"
    })
    assert.include(JSON.stringify(account), "<hidden>")
    assert.notInclude(JSON.stringify(account), "kids-token")
    assert.instanceOf(
      D.struct(Home.switchedAccountFields(secret), secrets).decode({ id: 7, uuid: "u" }),
      D.Failure
    )
  })

  it("friends with their Server entries; shared servers' tokens hidden; devices' tokens hidden", () => {
    const friend = D.struct(Access.friendFields(D.struct(Access.serverShareFields(), secrets)), secrets)
    const friends = D.struct(
      P.mediaContainerFields(D.struct(Access.friendsContainerFields(friend), secrets)),
      secrets
    )
    const decoded = friends.decode({
      MediaContainer: {
        User: { id: "5", home: "1", Server: [{ machineIdentifier: "m1", pending: "0" }, {}] }
      }
    }) as {
      MediaContainer: { User: ReadonlyArray<{ id: number; home: boolean; servers: ReadonlyArray<unknown> }> }
    }
    assert.strictEqual(decoded.MediaContainer.User[0]?.id, 5)
    assert.isTrue(decoded.MediaContainer.User[0]?.home)
    assert.deepStrictEqual(decoded.MediaContainer.User[0]?.servers, [
      { machineIdentifier: "m1", pending: false }
    ])
    const shared = D.struct(Access.sharedServerFields(secret), secrets).decode({
      userID: 9,
      accessToken: "share-tok"
    })
    assert.notInclude(JSON.stringify(shared), "share-tok")
    const device = D.struct(Devices.authorizedDeviceFields(secret), secrets).decode({
      id: "70",
      token: "dev-tok"
    })
    assert.notInclude(JSON.stringify(device), "dev-tok")
    assert.strictEqual((device as { id: number }).id, 70)
    assert.notInclude(
      JSON.stringify(D.struct(Claim.claimTokenFields(secret), secrets).decode({ token: "claim-x" })),
      "claim-x"
    )
  })

  // plex.tv's /devices.xml lists the account's servers among its devices (python-plexapi's own test finds the
  // server by name with `account.device(plex.friendlyName)`), with `Connection` children, and players with a
  // `SyncList`: read as python-plexapi `MyPlexDevice` and @ctrl/plex `MyPlexDevice` read them.
  it("a /devices.xml as plex.tv writes it: a server with its connections, a player with a sync list", () => {
    const body = [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<MediaContainer publicAddress="203.0.113.5">`,
      `  <Device name="Den" publicAddress="203.0.113.5" product="Plex Media Server" productVersion="1.41.3.9314"`,
      `   platform="Linux" platformVersion="6.8.0" device="PC" model="x86_64" vendor="Debian" provides="server"`,
      `   clientIdentifier="5d7e1c0f" version="1.41.3.9314" id="123456" token="srv-tok" createdAt="1577836800"`,
      `   lastSeenAt="1735689600" screenResolution="" screenDensity="">`,
      `    <Connection uri="http://192.168.1.2:32400"/>`,
      `    <Connection uri="https://192-168-1-2.5d7e1c0f.plex.direct:32400"/>`,
      `  </Device>`,
      `  <Device name="iPhone" product="Plex for iOS" provides="client,controller,sync-target,player"`,
      `   clientIdentifier="ios-1" id="123457" token="ios-tok" createdAt="1600000000" lastSeenAt="">`,
      `    <SyncList itemsCompleteCount="0" totalSize="0" version="2"/>`,
      `  </Device>`,
      `</MediaContainer>`
    ].join("\n")
    const json = Xml.parseToJson(body)
    assert.notInstanceOf(json, Xml.XmlError)
    const device = D.struct(Devices.authorizedDeviceFields(secret), secrets)
    const list = D.struct(
      P.mediaContainerFields(D.struct(Devices.devicesContainerFields(device), secrets)),
      secrets
    )
    const decoded = list.decode(json) as {
      MediaContainer: { Device: ReadonlyArray<Record<string, unknown>> }
    }
    const [server, phone] = decoded.MediaContainer.Device
    assert.strictEqual(server?.["id"], 123456)
    assert.strictEqual(server?.["provides"], "server")
    assert.strictEqual(server?.["lastSeenAt"], 1735689600)
    assert.deepStrictEqual(server?.["Connection"], [
      { uri: "http://192.168.1.2:32400" },
      { uri: "https://192-168-1-2.5d7e1c0f.plex.direct:32400" }
    ])
    assert.strictEqual(phone?.["id"], 123457)
    assert.isUndefined(phone?.["lastSeenAt"])
    assert.notInclude(JSON.stringify(decoded), "srv-tok")
    assert.notInclude(JSON.stringify(decoded), "ios-tok")
  })
})

describe("core/serverClient: withoutCredentialsElsewhere", () => {
  // What a caller's client adds as it sends (`HttpClient.mapRequest`, forced trace propagation), read by the `fetch`
  // under it: to another origin than the server's, without credentials and trace context, as `fetch` drops
  // `Authorization`, `Proxy-Authorization`, `Cookie` and `Host` on a cross-origin redirect; to the server, as it is.
  const sent: Array<{ url: string; headers: Record<string, string> }> = []
  const recording = (async (input: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(input), headers: Object.fromEntries(new Headers(init?.headers)) })
    return new Response(null, { status: 204 })
  }) as typeof globalThis.fetch
  const headers = {
    Authorization: "Bearer gateway",
    "proxy-authorization": "Basic cDpx",
    cookie: "a=b",
    host: "server.example:32400",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    b3: "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
    "x-b3-spanid": "b7ad6b7169203331",
    baggage: "user.id=alice",
    accept: "application/json",
    "x-gateway-tenant": "acme"
  }
  const fetch = ServerClient.withoutCredentialsElsewhere(recording, "http://server.example:32400/")

  it("to another origin: without credentials and trace context; to the server: every header", async () => {
    sent.length = 0
    await fetch("http://elsewhere.example/back", { headers })
    await fetch(new URL("http://server.example:32400/identity"), { headers })
    assert.deepStrictEqual(sent[0], {
      url: "http://elsewhere.example/back",
      headers: { accept: "application/json", "x-gateway-tenant": "acme" }
    })
    assert.deepStrictEqual(sent[1]!.headers, Object.fromEntries(new Headers(headers)))
  })
})
