/**
 * What both editions' `plex-auth` CLIs print and check (src/core/cli), as
 * plain functions: the pieces the CLIs' own tests cannot reach easily.
 */
import { Effect } from "effect"
import { assert, describe, it } from "vitest"
import * as ClientIdentity from "../../src/ClientIdentity.js"
import * as PinLogin from "../../src/PinLogin.js"
import * as Directory from "../../src/core/cli/directory.js"
import * as Configured from "../../src/core/configured.js"
import * as FakeSeed from "../../src/core/cli/fakeSeed.js"
import * as Failure from "../../src/core/cli/failure.js"
import * as Render from "../../src/core/cli/render.js"

describe("core/cli", () => {
  it("replacedTokenOutcome: the token login's save really replaced decides, not the one read as it started", () => {
    const base = {
      before: "t0",
      beforeInvalid: false,
      decision: "revoke",
      oldToken: undefined,
      token: "new"
    } as const
    const outcome = Render.replacedTokenOutcome
    // The token read at the start, replaced: as answered.
    assert.deepStrictEqual(outcome({ ...base, replaced: "t0" }), { previous: "revoked", revoke: true })
    assert.deepStrictEqual(outcome({ ...base, decision: "keep", replaced: "t0" }), {
      previous: "kept",
      revoke: false
    })
    assert.deepStrictEqual(outcome({ ...base, beforeInvalid: true, decision: undefined, replaced: "t0" }), {
      previous: "invalid",
      revoke: false
    })
    assert.deepStrictEqual(outcome({ ...base, replaced: "new" }), { previous: "same", revoke: false })
    // Removed meanwhile (a logout): nothing to revoke.
    assert.deepStrictEqual(outcome({ ...base, replaced: undefined }), { previous: "none", revoke: false })
    // Another login's token, saved meanwhile: as --old-token says, else kept; said each time. The answer "revoke"
    // was about t0, never about this token (a script may have saved it for another account): not applied to it.
    const other = outcome({ ...base, replaced: "theirs" })
    assert.deepStrictEqual([other.previous, other.revoke], ["kept", false])
    assert.strictEqual(other.note, Render.concurrentLoginText(undefined, true))
    assert.include(other.note, "it is not the token you chose to revoke, so it is kept")
    // ...but applied to t0, the token asked about, which that other login replaced (and kept): the user's to revoke.
    assert.isTrue(other.revokeAsked)
    const revokedByOptionAsked = outcome({ ...base, oldToken: "revoke", replaced: "theirs" })
    assert.deepStrictEqual([revokedByOptionAsked.previous, revokedByOptionAsked.revoke], ["revoked", true])
    assert.strictEqual(revokedByOptionAsked.note, Render.concurrentLoginText("revoke"))
    const keptByOption = outcome({ ...base, oldToken: "keep", replaced: "theirs" })
    assert.deepStrictEqual([keptByOption.previous, keptByOption.revoke], ["kept", false])
    assert.isUndefined(keptByOption.revokeAsked)
    // --old-token revoke is about t0 as the answer is: t0 revoked too, besides the token this login replaced.
    assert.isTrue(revokedByOptionAsked.revokeAsked)
    // t0 refused at the start (decision undefined then): nothing asked about it.
    assert.isUndefined(
      outcome({ ...base, beforeInvalid: true, decision: undefined, oldToken: "revoke", replaced: "theirs" })
        .revokeAsked
    )
    const unasked = outcome({ ...base, before: undefined, decision: undefined, replaced: "theirs" })
    assert.deepStrictEqual([unasked.previous, unasked.revoke], ["kept", false])
    assert.include(unasked.note, "--old-token revoke")
    assert.notInclude(unasked.note, "you chose")
    const answeredKeep = outcome({ ...base, decision: "keep", replaced: "theirs" })
    assert.deepStrictEqual([answeredKeep.previous, answeredKeep.revoke], ["kept", false])
    assert.isUndefined(answeredKeep.revokeAsked)
    assert.isUndefined(unasked.revokeAsked)
    assert.strictEqual(answeredKeep.note, unasked.note)
    const revokedByOption = outcome({
      ...base,
      before: undefined,
      decision: undefined,
      oldToken: "revoke",
      replaced: "theirs"
    })
    assert.deepStrictEqual([revokedByOption.previous, revokedByOption.revoke], ["revoked", true])
    assert.isUndefined(revokedByOption.revokeAsked)
  })

  it("displayWidth: the columns a terminal draws (wide and fullwidth 2, combining marks 0); table pads by them", () => {
    const cases: ReadonlyArray<readonly [string, number]> = [
      ["", 0],
      ["Living Room", 11],
      ["東京サーバー", 12], // CJK ideographs and katakana: wide
      ["한국", 4], // Hangul syllables
      ["\u1112\u1161\u11ab", 2], // 한 as conjoining jamo: one cluster, one wide character
      ["ｆｕｌｌ", 8], // fullwidth Latin
      ["Cafe\u0301", 4], // e with a combining acute accent
      ["\u20dd", 0], // an enclosing mark alone
      ["🎬 Cinema", 9], // an emoji (default emoji presentation)
      ["\u2764\ufe0f", 2], // a text symbol asked to be an emoji (U+FE0F)
      ["\u2764", 1], // the same symbol as text
      ["🇯🇵", 2], // a flag: two regional indicators, one cluster
      ["👨\u200d👩\u200d👧", 2], // a family: emoji joined with U+200D, one cluster
      [Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join(""), 95], // printable ASCII: 1 each
      ["a\r\nb", 3], // CR LF: one cluster (not printable ASCII, so segmented)
      ["ab\u0301", 2] // ASCII letters with a combining accent
    ]
    for (const [text, width] of cases)
      assert.strictEqual(Render.displayWidth(text), width, JSON.stringify(text))
    assert.strictEqual(Render.padToWidth("東京", 6), "東京  ")
    assert.strictEqual(Render.padToWidth("東京サーバー", 6), "東京サーバー")
    assert.strictEqual(
      Render.table([
        ["東京サーバー", "1", "owned"],
        ["🎬 Cinema", "22", "shared"],
        ["Cafe\u0301", "3", ""]
      ]),
      ["東京サーバー  1   owned", "🎬 Cinema     22  shared", "Cafe\u0301          3"].join("\n")
    )
  })

  it("promptDisplay: off a terminal one line asked and one answered, not a redraw per key; on one, as drawn", () => {
    const erase = "\x1b[2K\x1b[1G"
    const asked = "\x1b[0;96m?\x1b[0m \x1b[0;1mPassword\x1b[0m › "
    const typed = (n: number) => `${asked}\x1b[0;96;4m${"*".repeat(n)}\x1b[0m`
    const answered = "\x1b[0;32m✔\x1b[0m \x1b[0;1mPassword\x1b[0m … ***\n"
    const refused = `${asked}\n\x1b[0;31m› The password must not be empty\x1b[0m`
    const pipe = { isTTY: false }
    // @effect/cli (Effect 3) displays a redraw's erasing alone, then the frame; effect/cli (Effect 4) both at once.
    const effect3 = [
      asked,
      erase,
      typed(1),
      erase,
      refused,
      erase,
      typed(2),
      erase,
      typed(3),
      erase,
      answered,
      "\x1b[?25h"
    ]
    const effect4 = [
      asked,
      erase + typed(1),
      erase + refused,
      erase + typed(2),
      erase + typed(3),
      erase + answered
    ]
    // The answer's last frame shows a fixed text, not one `*` a character (the password's length).
    const expected = "? Password › \n? Password › \n› The password must not be empty\n✔ Password … (hidden)\n"
    for (const frames of [effect3, effect4]) {
      const draw = Render.promptDisplay(pipe)
      assert.strictEqual(frames.map((frame) => draw(frame, false)).join(""), expected)
    }
    // A second prompt after an answer: asked on its own line, as the first.
    const draw = Render.promptDisplay(pipe)
    const twice = [asked, erase + answered, asked, erase + answered]
      .map((frame) => draw(frame, false))
      .join("")
    assert.strictEqual(twice, "? Password › \n✔ Password … (hidden)\n? Password › \n✔ Password … (hidden)\n")
    // On a terminal every frame is drawn: with its colours, or without them (NO_COLOR) but with its cursor moves.
    const tty = Render.promptDisplay({ isTTY: true })
    assert.strictEqual(tty(erase + typed(1), true), erase + typed(1))
    assert.strictEqual(tty(erase + typed(1), false), `${erase}? Password › *`)
    // ...but for a password's answer in the last frame, there too (it stays on the screen, in a terminal's log).
    const coloured = "\x1b[0;32m✔\x1b[0m \x1b[0;1mPassword\x1b[0m \x1b[0;90m…\x1b[0m \x1b[0;1m*****\x1b[0m\n"
    assert.strictEqual(
      tty(erase + coloured, true),
      `${erase}\x1b[0;32m✔\x1b[0m \x1b[0;1mPassword\x1b[0m \x1b[0;90m…\x1b[0m \x1b[0;1m(hidden)\x1b[0m\n`
    )
    assert.strictEqual(tty(erase + answered, false), `${erase}✔ Password … (hidden)\n`)
    // On Windows both CLIs draw the tick and the ellipsis as `√` and `...`: the answer is hidden there too.
    const windows = "\x1b[0;32m√\x1b[0m \x1b[0;1mPassword\x1b[0m \x1b[0;90m...\x1b[0m \x1b[0;1m*****\x1b[0m\n"
    assert.strictEqual(
      tty(erase + windows, true),
      `${erase}\x1b[0;32m√\x1b[0m \x1b[0;1mPassword\x1b[0m \x1b[0;90m...\x1b[0m \x1b[0;1m(hidden)\x1b[0m\n`
    )
    assert.strictEqual(Render.promptDisplay(pipe)(erase + windows, false), "√ Password ... (hidden)\n")
    // A prompt that shows its answer (a login) is drawn as it is.
    assert.strictEqual(
      Render.promptDisplay(pipe)("\x1b[0;32m✔\x1b[0m \x1b[0;1mLogin\x1b[0m … alice*\n", false),
      "✔ Login … alice*\n"
    )
    assert.strictEqual(
      Render.promptDisplay(pipe)("\x1b[0;32m√\x1b[0m \x1b[0;1mLogin\x1b[0m ... alice*\n", false),
      "√ Login ... alice*\n"
    )
  })

  it("cliPlatform: the runtime and its version, not the Node version Bun and Deno emulate; never throws", () => {
    const os = { release: () => "6.1.0", hostname: () => "box" }
    const node = { process: { versions: { node: "20.11.1" }, platform: "linux", getBuiltinModule: () => os } }
    assert.deepStrictEqual(Render.cliPlatform(node), {
      platform: "Node.js",
      platformVersion: "20.11.1",
      device: "Linux",
      deviceName: "box"
    })
    // Bun 1.4.5 and Deno 2.9.6 both say process.versions.node === "26.3.0".
    const bun = { Bun: { version: "1.4.5" }, process: { ...node.process, versions: { node: "26.3.0" } } }
    assert.deepStrictEqual(Render.cliPlatform(bun), {
      platform: "Bun",
      platformVersion: "1.4.5",
      device: "Linux",
      deviceName: "box"
    })
    // Deno without --allow-sys or --allow-env: every read throws NotCapable.
    const refuse = () => {
      throw Object.assign(new Error('Requires sys access to "hostname"'), { name: "NotCapable" })
    }
    const deno = {
      Deno: { version: { deno: "2.9.6" }, build: { os: "linux" }, osRelease: refuse, hostname: refuse },
      process: {
        versions: { node: "26.3.0" },
        get env(): never {
          return refuse()
        }
      }
    }
    assert.deepStrictEqual(Render.cliPlatform(deno), {
      platform: "Deno",
      platformVersion: "2.9.6",
      device: "Linux",
      deviceName: undefined
    })
  })

  it("linkCodeText: plex.tv/link is named for the real plex.tv only", () => {
    assert.strictEqual(
      Render.linkCodeText("K7QZ", { fake: false, plexTvUrl: "https://plex.tv" }),
      "Or go to https://plex.tv/link and enter the code K7QZ"
    )
    assert.strictEqual(
      Render.linkCodeText("K7QZ", { fake: false, plexTvUrl: "https://plex.tv/api/v2/" }),
      "Or go to https://plex.tv/link and enter the code K7QZ"
    )
    for (const where of [
      { fake: true, plexTvUrl: "http://127.0.0.1:32401" },
      { fake: false, plexTvUrl: "http://127.0.0.1:32401" },
      { fake: false, plexTvUrl: "https://plex.tv.example" }
    ]) {
      const text = Render.linkCodeText("K7QZ", where)
      assert.notInclude(text, "go to https://plex.tv/link", where.plexTvUrl)
      assert.include(text, "The short code is K7QZ", where.plexTvUrl)
      assert.include(text, "PUT /api/v2/pins/link", where.plexTvUrl)
    }
  })

  it("pinLinkText, fakeServerText: expire-pin's PINs are said to live as long as the fake was started to keep them", () => {
    const url = "http://127.0.0.1:1/auth#?code=x"
    const account = { username: "carol", login: "carol@example.com", password: "carol-password" }
    const expirePinServer: Render.FakeServerDetails = {
      plexTvUrl: "http://127.0.0.1:1",
      clientsUrl: "http://127.0.0.1:2",
      serverUrl: "http://127.0.0.1:3",
      urls: [],
      login: "alice@example.com",
      password: "alice-password",
      token: "fakeAccountToken0001",
      serverId: "id",
      serverName: "Fake Media Server",
      approvePinsAfterSeconds: null,
      unclaimedServerUrl: "http://127.0.0.1:4",
      homeMember: account,
      sharedUser: account,
      stranger: account,
      authAppUrl: "http://127.0.0.1:1/auth",
      allowOrigins: []
    }
    // The CLI's own lifetime (docs/cli.md: "PINs live 2 seconds"), and one a test sets (fakePinsExpireAfter).
    for (const [millis, words] of [
      [2000, "2 seconds"],
      [1500, "1.5 seconds"],
      [1000, "1 second"]
    ] as const) {
      assert.include(
        Render.pinLinkText(url, { approves: false, pinLifetimeMillis: millis }),
        `(PLEX_AUTH_FAKE=expire-pin: it expires after ${words}).`
      )
      assert.include(
        Render.fakeServerText(expirePinServer, millis).stderr,
        `PINs are never approved (PLEX_AUTH_FAKE=expire-pin) and expire after ${words}.`
      )
    }
    // A fake that approves its PINs says nothing of their lifetime.
    assert.notInclude(Render.pinLinkText(url, { approves: true, pinLifetimeMillis: 1500 }), "expires")
  })

  it("describeAccount, whoamiText: a managed Home user, which has no user name, is named by its title", () => {
    const kids = { username: "", title: "Kids", id: 7, uuid: "u-7" }
    assert.strictEqual(Failure.describeAccount(kids), "Kids")
    assert.strictEqual(Failure.describeAccount({ ...kids, username: "alice", email: "a@x" }), "alice (a@x)")
    assert.strictEqual(Failure.whoamiText(kids), "username -\nemail    -\nid       7\nuuid     u-7")
  })

  it("wizardWithoutCommand: global options with --wizard and no command are refused, saying how to write it", () => {
    assert.include(
      Render.wizardWithoutCommand(["--fake", "--config-dir", "d", "--wizard"]),
      "`plex-auth --fake --config-dir <dir> <command> --wizard`"
    )
    assert.include(
      Render.wizardWithoutCommand(["--wizard", "--config-dir=d", "--json"]),
      "`plex-auth --config-dir <dir> --json <command> --wizard`"
    )
    // Every global option in each of its forms, and the parsers' --log-level, with its value.
    for (const [args, given] of [
      [["--fake", "--log-level", "debug", "--wizard"], "--fake --log-level debug"],
      [["--log-level=debug", "--wizard", "--json"], "--log-level=debug --json"],
      [["--fake", "false", "--json=true", "--wizard"], "--fake false --json=true"],
      [["--fake=TRUE", "--plex-tv", "http://x", "--wizard"], "--fake=TRUE --plex-tv <url>"],
      [["--wizard", "--plex-tv=http://x", "--", "x"], "--plex-tv <url>"],
      [["--auth-app-url", "https://u:s3cret@x/auth", "--wizard"], "--auth-app-url <url>"]
    ] as const) {
      assert.include(
        Render.wizardWithoutCommand(args),
        `\`plex-auth ${given} <command> --wizard\``,
        args.join(" ")
      )
    }
    // The values of --plex-tv and --config-dir are not repeated: a URL may carry a password or a token.
    for (const args of [
      ["--plex-tv", "https://u:s3cret@plex.tv/?X-Plex-Token=t0ken", "--wizard"],
      ["--wizard", "--plex-tv=https://u:s3cret@plex.tv/?X-Plex-Token=t0ken", "--config-dir", "/home/s3cret"]
    ]) {
      const said = Render.wizardWithoutCommand(args)
      assert.include(said, "--plex-tv <url>", args.join(" "))
      assert.notInclude(said, "s3cret", args.join(" "))
      assert.notInclude(said, "t0ken", args.join(" "))
    }
    // --wizard alone, after a command's name, after `--`, or beside anything the parser is to judge: left alone.
    for (const args of [
      ["--wizard"],
      ["--fake", "login", "--wizard"],
      ["--fake", "--config-dir", "d", "home", "switch", "--wizard"],
      ["--fake", "--log-level", "debug", "login", "--wizard"],
      ["--fake", "--", "--wizard"],
      ["--fake", "--help", "--wizard"],
      ["--fake", "--version", "--wizard"],
      ["--fake", "--completions", "bash", "--wizard"],
      ["--fake", "--completions=bash", "--wizard"],
      ["--config-dir", "d", "-h", "--wizard"],
      ["--fake", "--json"],
      ["--config-dir", "--wizard"],
      ["--wizard", "--fake", "--log-level"]
    ]) {
      assert.isUndefined(Render.wizardWithoutCommand(args), args.join(" "))
    }
  })

  it("builtInsFirst: the parsers' built-in options among the global options go first, the rest as typed", () => {
    assert.deepStrictEqual(
      Render.builtInsFirst([
        "--fake",
        "--log-level",
        "debug",
        "--config-dir",
        "d",
        "--log-level=info",
        "whoami"
      ]),
      ["--log-level", "debug", "--log-level=info", "--fake", "--config-dir", "d", "whoami"]
    )
    assert.deepStrictEqual(Render.builtInsFirst(["--fake", "--json", "--help"]), [
      "--help",
      "--fake",
      "--json"
    ])
    assert.deepStrictEqual(Render.builtInsFirst(["--plex-tv=u", "-h", "login"]), [
      "-h",
      "--plex-tv=u",
      "login"
    ])
    assert.deepStrictEqual(Render.builtInsFirst(["--fake", "--version"]), ["--version", "--fake"])
    assert.deepStrictEqual(Render.builtInsFirst(["--fake", "--completions", "bash"]), [
      "--completions",
      "bash",
      "--fake"
    ])
    // After the command's name (@effect/cli takes them there), a value's place, or without its value: left alone.
    for (const args of [
      ["--fake", "whoami", "--log-level", "debug"],
      ["--fake", "login", "--help"],
      ["--config-dir", "--log-level", "debug", "whoami"],
      ["--fake", "--log-level"],
      ["--fake", "--", "--log-level", "debug"]
    ]) {
      assert.deepStrictEqual(Render.builtInsFirst(args), args, args.join(" "))
    }
  })

  it("globalsAfterSubcommand: global options between a command and its subcommand go after the subcommand's name", () => {
    assert.deepStrictEqual(
      Render.globalsAfterSubcommand(["home", "--fake", "--config-dir", "d", "switch", "Kids", "--json"]),
      ["home", "switch", "--fake", "--config-dir", "d", "Kids", "--json"]
    )
    assert.deepStrictEqual(
      Render.globalsAfterSubcommand(["--log-level", "debug", "token", "--json", "--plex-tv=u", "transient"]),
      ["--log-level", "debug", "token", "transient", "--json", "--plex-tv=u"]
    )
    assert.deepStrictEqual(
      Render.globalsAfterSubcommand(["devices", "--fake", "true", "--help", "revoke", "--", "-5"]),
      ["devices", "revoke", "--fake", "true", "--help", "--", "-5"]
    )
    // The help flags too (the subcommand's help, as on Effect 4), alone as well; the other built-in options stay.
    assert.deepStrictEqual(Render.globalsAfterSubcommand(["token", "-h", "transient"]), [
      "token",
      "transient",
      "-h"
    ])
    assert.deepStrictEqual(
      Render.globalsAfterSubcommand([
        "home",
        "--version",
        "--help",
        "--log-level",
        "debug",
        "switch",
        "Kids"
      ]),
      ["home", "--version", "--log-level", "debug", "switch", "--help", "Kids"]
    )
    // No subcommand after them, none between, another command, a value's place: left alone.
    for (const args of [
      ["token", "--json"],
      ["home", "--fake"],
      ["home", "switch", "--fake", "Kids"],
      ["whoami", "--fake"],
      ["home", "--config-dir", "switch", "Kids"],
      ["home", "--frob", "switch", "Kids"],
      ["home", "--version", "switch"],
      ["home", "--help"],
      ["--fake", "home"]
    ]) {
      assert.deepStrictEqual(Render.globalsAfterSubcommand(args), args, args.join(" "))
    }
  })

  it("tokenWithoutSubcommand: token followed by global options only", () => {
    assert.isTrue(Render.tokenWithoutSubcommand(["token", "--json"]))
    assert.isTrue(Render.tokenWithoutSubcommand(["--fake", "token", "--config-dir", "d", "--fake"]))
    assert.isTrue(Render.tokenWithoutSubcommand(["token", "--json", "--"]))
    assert.isTrue(Render.tokenWithoutSubcommand(["token", "--json", "--log-level", "debug"]))
    for (const args of [
      ["token"],
      ["token", "--json", "transient"],
      ["token", "--json", "--", "x"],
      ["token", "--help"],
      ["token", "--json", "--completions", "bash"],
      ["home", "--json"]
    ]) {
      assert.isFalse(Render.tokenWithoutSubcommand(args), args.join(" "))
    }
  })

  it("unknownOptionOfParent: an unknown option right after home, devices or token (and their global options)", () => {
    assert.strictEqual(Render.unknownOptionOfParent(["home", "--frob"]), "--frob")
    // Its name only: an inline value (a secret, say) is not repeated.
    assert.strictEqual(Render.unknownOptionOfParent(["home", "--token=s3cret", "switch", "x"]), "--token")
    assert.strictEqual(Render.unknownOptionOfParent(["--fake", "devices", "--json", "-x", "revoke"]), "-x")
    assert.strictEqual(
      Render.unknownOptionOfParent(["token", "--config-dir=d", "--jsn", "transient"]),
      "--jsn"
    )
    for (const args of [
      ["home"],
      ["home", "--fake", "switch", "--frob"],
      ["home", "--help"],
      ["home", "--", "-x"],
      ["home", "-5"],
      ["whoami", "--frob"],
      ["--frob", "home"]
    ]) {
      assert.isUndefined(Render.unknownOptionOfParent(args), args.join(" "))
    }
  })

  it("onceEachGlobal: a global option before and after the command is passed once; different values are refused", () => {
    assert.deepStrictEqual(Render.onceEachGlobal(["--fake", "whoami", "--fake", "--json", "--json"]), {
      args: ["--fake", "whoami", "--json"]
    })
    assert.deepStrictEqual(Render.onceEachGlobal(["--config-dir", "a", "whoami", "--config-dir=a"]), {
      args: ["--config-dir", "a", "whoami"]
    })
    assert.deepStrictEqual(Render.onceEachGlobal(["--plex-tv=http://x", "whoami", "--plex-tv", "http://y"]), {
      error: "--plex-tv was given twice, with different values."
    })
    assert.deepStrictEqual(
      Render.onceEachGlobal(["--auth-app-url", "http://x/auth", "login", "--auth-app-url=http://x/auth"]),
      {
        args: ["--auth-app-url", "http://x/auth", "login"]
      }
    )
    assert.deepStrictEqual(
      Render.onceEachGlobal(["--auth-app-url=http://x/auth", "login", "--auth-app-url", "http://y/auth"]),
      {
        error: "--auth-app-url was given twice, with different values."
      }
    )
    // The parsers' --log-level likewise (neither parser took it twice the same way: one refused it, one took it).
    assert.deepStrictEqual(Render.onceEachGlobal(["--log-level", "debug", "whoami", "--log-level=debug"]), {
      args: ["--log-level", "debug", "whoami"]
    })
    assert.deepStrictEqual(Render.onceEachGlobal(["--log-level", "debug", "--log-level", "info", "whoami"]), {
      error: "--log-level was given twice, with different values."
    })
    // A boolean option in each of its forms (the wizard of @effect/cli writes `--fake true`).
    assert.deepStrictEqual(
      Render.onceEachGlobal([
        "--fake",
        "--config-dir",
        "d",
        "whoami",
        "--fake",
        "true",
        "--json",
        "yes",
        "--json=1"
      ]),
      { args: ["--fake", "--config-dir", "d", "whoami", "--json", "yes"] }
    )
    assert.deepStrictEqual(Render.onceEachGlobal(["--fake", "whoami", "--fake=false"]), {
      error: "--fake was given twice, with different values."
    })
    assert.deepStrictEqual(Render.onceEachGlobal(["--json", "false", "whoami", "--json", "off"]), {
      args: ["--json", "false", "whoami"]
    })
    // After `--`, nothing is touched.
    assert.deepStrictEqual(Render.onceEachGlobal(["--json", "--", "--json"]), {
      args: ["--json", "--", "--json"]
    })
    // Other options' values are left alone, even when they look like a global option's name.
    assert.deepStrictEqual(Render.onceEachGlobal(["home", "switch", "Kids", "--json"]), {
      args: ["home", "switch", "Kids", "--json"]
    })
  })

  it("inFakeTerms: a --fake run's failure names the fake's hosts, not their loopback ports; offline says what to do", () => {
    const fake = {
      plexTvUrl: "http://127.0.0.1:4000",
      serverUrl: "http://127.0.0.1:40001/",
      urls: ["http://127.0.0.1:4000", "http://127.0.0.1:40001", "http://127.0.0.1:4002"],
      offline: true
    }
    const network = (message: string) => ({ message, exitCode: Failure.ExitCode.Network })
    assert.deepStrictEqual(
      Failure.inFakeTerms(network("Could not reach http://127.0.0.1:4000: fetch failed."), fake),
      network(`Could not reach the fake plex.tv: fetch failed. ${Failure.fakeOfflineHint}`)
    )
    // A port that starts with another's digits is its own; the fake's other hosts are the fake.
    assert.strictEqual(
      Failure.inFakeTerms(
        network("http://127.0.0.1:40001 and http://127.0.0.1:4002 did not answer in time."),
        {
          ...fake,
          offline: false
        }
      ).message,
      "the fake server and the fake did not answer in time."
    )
    // Another URL (a --server given) is as it was, and so is the failure: no hint.
    const other = network("Could not reach http://127.0.0.1:1: fetch failed: bad port.")
    assert.deepStrictEqual(Failure.inFakeTerms(other, fake), other)
    // The hint for a network failure only.
    const refused = {
      message: "Plex refused the saved token (HTTP 401).",
      exitCode: Failure.ExitCode.Unauthorized
    }
    assert.deepStrictEqual(Failure.inFakeTerms(refused, fake), refused)
  })

  it("switchesAlone: after a space a switch takes only true or false; another boolean word is the next argument", () => {
    assert.deepStrictEqual(Render.switchesAlone(["devices", "revoke", "--json", "1"]), [
      "devices",
      "revoke",
      "--json=true",
      "1"
    ])
    assert.deepStrictEqual(Render.switchesAlone(["home", "switch", "--fake", "YES", "--password", "off"]), [
      "home",
      "switch",
      "--fake=true",
      "YES",
      "--password=true",
      "off"
    ])
    // Only true and false, exactly: another case is the next argument too.
    assert.deepStrictEqual(Render.switchesAlone(["whoami", "--json", "TRUE", "--fake", "False"]), [
      "whoami",
      "--json=true",
      "TRUE",
      "--fake=true",
      "False"
    ])
    // --no- and a switch's name is the switch off; a word after it is the next argument.
    assert.deepStrictEqual(
      Render.switchesAlone(["devices", "revoke", "--no-json", "1", "--no-fake", "--no-no-remember-me"]),
      ["devices", "revoke", "--json=false", "1", "--fake=false", "--no-remember-me=false"]
    )
    // true and false stay its value (as @effect/cli's wizard writes them); other words, inline values, --no- and
    // a name that is no switch's, and what follows `--` are not touched.
    for (const args of [
      ["whoami", "--json", "true", "--fake", "false"],
      ["login", "--no-remember-me", "--no-json=true", "--no-help", "--no-frob"],
      ["home", "switch", "--", "--no-json", "1"],
      ["devices", "revoke", "--json=no", "1"],
      ["devices", "revoke", "--json", "7"],
      ["home", "switch", "--", "--json", "1"],
      ["--config-dir", "1", "whoami"]
    ]) {
      assert.deepStrictEqual(Render.switchesAlone(args), args)
    }
  })

  it("leadingOptionProblem: an unknown option before the command's name, or a value option last without its value", () => {
    const unknown = (name: string) =>
      `Unknown option ${name} before the command's name: a command's own options follow its name (\`plex-auth login --password\`); see \`plex-auth --help\`.`
    assert.strictEqual(Render.leadingOptionProblem(["--frob"]), unknown("--frob"))
    assert.strictEqual(
      Render.leadingOptionProblem(["--fake", "--config-dir", "d", "--password", "login"]),
      unknown("--password")
    )
    // The value typed inline is not repeated.
    assert.strictEqual(Render.leadingOptionProblem(["--frob=secret", "whoami"]), unknown("--frob"))
    assert.strictEqual(Render.leadingOptionProblem(["-psecret", "whoami"]), unknown("-p"))
    assert.strictEqual(
      Render.leadingOptionProblem(["--fake", "--config-dir"]),
      "Missing value for --config-dir."
    )
    assert.strictEqual(Render.leadingOptionProblem(["--log-level"]), "Missing value for --log-level.")
    // What the parsers read (their own options included, -v and --no-json of the Effect 4 one), and what
    // follows the command's name, is theirs.
    for (const args of [
      [],
      ["whoami", "--frob"],
      ["--fake", "--config-dir", "d", "--plex-tv=x", "--json", "--log-level", "debug", "whoami"],
      ["--fake=true", "--fake", "false", "whoami"],
      ["-h"],
      ["--fake", "--help", "--frob"],
      ["--version", "--config-dir"],
      ["-v"],
      ["--no-json", "whoami"],
      ["--completions", "bash"],
      ["--wizard"],
      ["--", "--frob"],
      ["frob"]
    ]) {
      assert.isUndefined(Render.leadingOptionProblem(args), args.join(" "))
    }
  })

  it("usageProblem: an invalid or missing --log-level, a value option last without its value, no such command", () => {
    const levels = "all, trace, debug, info, warn, warning, error, fatal, none"
    assert.strictEqual(
      Render.usageProblem(["--log-level", "bogus", "whoami"]),
      `Invalid --log-level bogus: expected one of ${levels}.`
    )
    assert.strictEqual(
      Render.usageProblem(["whoami", "--log-level=WARNING"]),
      `Invalid --log-level WARNING: expected one of ${levels}.`
    )
    // Blank (`--log-level=`, `--completions ""`): no value to name, and no space left for it before the colon.
    assert.strictEqual(
      Render.usageProblem(["--log-level=", "whoami"]),
      `Invalid --log-level: expected one of ${levels}.`
    )
    assert.strictEqual(
      Render.usageProblem(["--completions", " "]),
      "Invalid --completions: expected one of bash, zsh, fish, sh."
    )
    // A shell the edition has no completion script for.
    assert.strictEqual(
      Render.usageProblem(["--completions", "bogus"]),
      "Invalid --completions bogus: expected one of bash, zsh, fish, sh."
    )
    assert.strictEqual(
      Render.usageProblem(["whoami", "--completions=pwsh"]),
      "Invalid --completions pwsh: expected one of bash, zsh, fish, sh."
    )
    assert.isUndefined(Render.usageProblem(["--completions", "pwsh"], Render.effect4CompletionShells))
    assert.isUndefined(Render.usageProblem(["--completions", "sh"]))
    assert.strictEqual(Render.usageProblem(["whoami", "--config-dir"]), "Missing value for --config-dir.")
    assert.strictEqual(Render.usageProblem(["--fake", "login", "--plex-tv"]), "Missing value for --plex-tv.")
    // A blank --server or --login, inline or not: refused before the session (not logged in: still exit 2).
    for (const args of [
      ["token", "transient", "--server="],
      ["token", "transient", "--server", " "],
      ["login", "--password", "--login= "],
      ["login", "--password", "--login", ""]
    ]) {
      const name = args.find((arg) => arg.startsWith("--s") || arg.startsWith("--l"))!.split("=", 1)[0]
      assert.strictEqual(Render.usageProblem(args), `Invalid ${name}: must not be empty.`)
    }
    const unknown =
      "Unknown command: the commands are login, whoami, servers, token, logout, fake-server, home, claim-token, claim, devices (see `plex-auth --help`)."
    assert.strictEqual(Render.usageProblem(["frob"]), unknown)
    // The word is not repeated: it may be a URL with a password.
    assert.strictEqual(Render.usageProblem(["--fake", "http://user:pw@host", "whoami"]), unknown)
    assert.strictEqual(Render.usageProblem(["--frob"]), Render.leadingOptionProblem(["--frob"]))
    assert.strictEqual(
      Render.usageProblem(["login", "--password", "--login", "a", "--password"]),
      "--password was given twice."
    )
    assert.strictEqual(
      Render.usageProblem(["login", "--old-token=keep", "--old-token", "keep"]),
      "--old-token was given twice."
    )
    assert.strictEqual(
      Render.usageProblem(["--fake", "--", "whoami"]),
      "Unexpected argument after --: the command's name goes before it (`plex-auth whoami`)."
    )
    assert.strictEqual(
      Render.usageProblem(["whoami", "--", "--json"]),
      "Unexpected argument after --: this command takes none."
    )
    for (const args of [
      [],
      ["--log-level", "warn", "whoami", "--log-level=none"],
      ["frob", "--help"],
      ["frob", "--completions", "bash"],
      ["frob", "--wizard"],
      ["--"],
      ["--fake", "whoami", "--fake", "--json", "--json", "--log-level", "info", "--log-level=info"],
      ["home", "switch", "--", "--password"],
      ["whoami", "--"],
      ["home", "switch", "--", "-Kids"],
      ["--fake", "claim", "--", "http://x"],
      ["devices", "revoke", "--json", "--", "7"],
      ["home", "switch", "frob"],
      ["devices", "revoke", "--fake", "true", "12"],
      ["login", "--login", "alice", "--old-token", "keep"],
      ["login", "--old-token", "maybe", "--help"]
    ]) {
      assert.isUndefined(Render.usageProblem(args), args.join(" "))
    }
  })

  it("usageProblem: a word starting with - where an argument goes, or short options run together, refused alike", () => {
    // @effect/cli (Effect 3) took such a word as the argument (a user named -Kids, a server URL --frob); effect/cli
    // (Effect 4) read it as options, letter by letter (-Kevin: -v, the version). Both now say where it goes.
    const argument = (path: string, name: string) =>
      `\`plex-auth ${path}\` takes ${name}: one that starts with - goes after -- (\`plex-auth ${path} -- ${name}\`), else it reads as an option.`
    for (const [args, path, name] of [
      [["home", "switch", "-Kids"], "home switch", "<user>"],
      [["--fake", "home", "switch", "-Kevin", "--json"], "home switch", "<user>"],
      [["home", "switch", "-V"], "home switch", "<user>"],
      [["home", "switch", "--frob", "Kids"], "home switch", "<user>"],
      [["home", "switch", "-hv"], "home switch", "<user>"],
      [["claim", "--frob=http://user:pw@host"], "claim", "<server-url>"],
      [["devices", "revoke", "-x"], "devices revoke", "<id>"]
    ] as const) {
      assert.strictEqual(Render.usageProblem(args), argument(path, name), args.join(" "))
    }
    // Not repeated: it may be a URL with a password, or a value typed inline (@effect/cli repeated -psecret).
    assert.notInclude(Render.usageProblem(["claim", "-http://user:pw@host"])!, "pw")
    assert.notInclude(Render.usageProblem(["login", "-psecret"])!, "secret")
    // effect/cli read -vx as -v -x (the version), -hv as the help; @effect/cli refused the word.
    const combined =
      "Unknown option: short options do not run together (the only ones, -h and -v, each stand alone)."
    for (const args of [
      ["whoami", "-vx"],
      ["whoami", "-hv"],
      ["-vh"],
      ["--fake", "-hv", "whoami"],
      ["login", "-vp"]
    ]) {
      assert.strictEqual(Render.usageProblem(args), combined, args.join(" "))
    }
    for (const args of [
      // -h and -v are answered wherever they stand before --, as --help and --version.
      ["home", "switch", "-v"],
      ["home", "switch", "-Kids", "-h"],
      ["whoami", "-vx", "--version"],
      // After --, an argument; - alone and a negative number are arguments before it too (the id is refused later).
      ["home", "switch", "--", "-Kids"],
      ["home", "switch", "-"],
      ["devices", "revoke", "-5"],
      // An unknown option where no argument goes: the parsers' to name, as before.
      ["whoami", "-x"],
      ["home", "switch", "Kids", "-x"],
      ["login", "--frob"]
    ]) {
      assert.isUndefined(Render.usageProblem(args), args.join(" "))
    }
  })

  it("usageProblem: a value a command's option or argument cannot take, in words both CLIs say", () => {
    assert.strictEqual(Render.usageProblem(["login", "--login"]), "Missing value for --login.")
    assert.strictEqual(Render.usageProblem(["login", "--old-token"]), "Missing value for --old-token.")
    for (const args of [
      ["login", "--old-token", "maybe"],
      ["login", "--old-token=maybe"],
      ["--fake", "login", "--password", "--old-token", "Revoke"]
    ]) {
      assert.strictEqual(Render.usageProblem(args), "--old-token must be revoke or keep.", args.join(" "))
    }
    assert.strictEqual(
      Render.usageProblem(["fake-server", "--approve-pins-after", "1.5"]),
      "--approve-pins-after must be a whole number of seconds, 0 or more."
    )
    assert.isUndefined(Render.usageProblem(["fake-server", "--approve-pins-after=-1"]))
    for (const args of [
      ["devices", "revoke", "abc"],
      ["--plex-tv", "http://x", "devices", "revoke", "--json", "abc"],
      ["devices", "revoke", "--", "abc"]
    ]) {
      assert.strictEqual(
        Render.usageProblem(args),
        "Invalid device id: must be a positive integer.",
        args.join(" ")
      )
    }
    assert.isUndefined(Render.usageProblem(["devices", "revoke", "--", "-5"]))
    assert.strictEqual(
      Render.usageProblem(["home", "Kids"]),
      "Unknown command: `plex-auth home` has one, switch (see `plex-auth home --help`)."
    )
    assert.strictEqual(
      Render.usageProblem(["claim", "--json"]),
      "Missing argument <server-url>: `plex-auth claim <server-url>`."
    )
    assert.strictEqual(
      Render.usageProblem(["claim", "http://a", "http://user:pw@b"]),
      "Unexpected argument: `plex-auth claim` takes one, <server-url>."
    )
    assert.strictEqual(
      Render.usageProblem(["whoami", "extra"]),
      "Unexpected argument: `plex-auth whoami` takes none."
    )
    // An unknown option (and what may be its value): the parsers' to name.
    assert.isUndefined(Render.usageProblem(["whoami", "--frob", "value"]))
    // After --, an option's name is an argument: twice is one argument too many, not an option given twice.
    assert.strictEqual(
      Render.usageProblem(["home", "switch", "--", "--password", "--password"]),
      "Unexpected argument: `plex-auth home switch` takes one, <user>."
    )
    assert.isUndefined(Render.usageProblem(["home", "switch", "--fake", "true", "Kids", "--json"]))
  })

  it("optionAsValue: a value option followed by a word starting with -, or given one inline, is refused", () => {
    const missing = (name: string) =>
      `Missing value for ${name}: the word after it starts with -, as an option does.`
    const inline = (name: string) => `${name} takes no value starting with -, which reads as an option.`
    // The version and help flags, where a value belongs: neither the version nor a directory named -v.
    assert.strictEqual(Render.optionAsValue(["--config-dir", "-v", "whoami"]), missing("--config-dir"))
    assert.strictEqual(Render.optionAsValue(["--config-dir", "--version", "whoami"]), missing("--config-dir"))
    assert.strictEqual(Render.optionAsValue(["whoami", "--config-dir", "-h"]), missing("--config-dir"))
    assert.strictEqual(Render.optionAsValue(["login", "--login", "--help"]), missing("--login"))
    assert.strictEqual(Render.optionAsValue(["--plex-tv", "--fake", "whoami"]), missing("--plex-tv"))
    assert.strictEqual(Render.optionAsValue(["--log-level", "-v", "whoami"]), missing("--log-level"))
    assert.strictEqual(Render.optionAsValue(["token", "transient", "--server", "-x"]), missing("--server"))
    assert.strictEqual(Render.optionAsValue(["--config-dir=-v", "whoami"]), inline("--config-dir"))
    assert.strictEqual(Render.optionAsValue(["login", "--login=--password"]), inline("--login"))
    // --no-json is --json=false (switchesAlone): it takes no value inline; --no- and a name no switch has is the parser's.
    assert.strictEqual(Render.optionAsValue(["whoami", "--no-json=true"]), "--no-json takes no value.")
    assert.strictEqual(Render.optionAsValue(["--no-fake=", "whoami"]), "--no-fake takes no value.")
    assert.isUndefined(Render.optionAsValue(["whoami", "--no-frob=1"]))
    // --no-help, --no-version, --no-wizard: no such options (alone or with a value), before -- only.
    const noForm = (option: string) =>
      `Unknown option --no-${option.slice(2)}: --help, --version, --wizard, --completions and --log-level have no --no- form (leave ${option} out).`
    assert.strictEqual(Render.optionAsValue(["whoami", "--no-help"]), noForm("--help"))
    assert.strictEqual(Render.optionAsValue(["--no-version"]), noForm("--version"))
    assert.strictEqual(Render.optionAsValue(["--fake", "--no-wizard", "login"]), noForm("--wizard"))
    assert.strictEqual(Render.optionAsValue(["whoami", "--no-help=false"]), noForm("--help"))
    // --no-completions, --no-log-level likewise: after the command's name, before it, with a value inline.
    assert.strictEqual(Render.optionAsValue(["whoami", "--no-completions"]), noForm("--completions"))
    assert.strictEqual(Render.optionAsValue(["whoami", "--no-log-level"]), noForm("--log-level"))
    assert.strictEqual(Render.optionAsValue(["--no-log-level", "whoami"]), noForm("--log-level"))
    assert.strictEqual(Render.optionAsValue(["whoami", "--no-log-level=debug"]), noForm("--log-level"))
    assert.isUndefined(Render.optionAsValue(["home", "switch", "--", "--no-log-level"]))
    assert.isUndefined(Render.optionAsValue(["home", "switch", "--", "--no-help"]))
    // The first one found; a value that is the name of a value option is still a value when it does not start with -.
    assert.strictEqual(
      Render.optionAsValue(["--config-dir", "d", "login", "--login", "-v"]),
      missing("--login")
    )
    // Values: a negative number (refused by the command in its own words), `-` alone, anything else.
    assert.isUndefined(Render.optionAsValue(["fake-server", "--approve-pins-after", "-1"]))
    assert.isUndefined(Render.optionAsValue(["fake-server", "--approve-pins-after=-1"]))
    // A negative decimal too: the option's own check refuses it, in its words, not as a missing value.
    for (const value of ["-1.5", "-.5", "-2."]) {
      assert.isUndefined(Render.optionAsValue(["fake-server", "--approve-pins-after", value]), value)
      assert.isUndefined(Render.optionAsValue([`--approve-pins-after=${value}`, "fake-server"]), value)
      assert.strictEqual(
        Render.usageProblem(["fake-server", "--approve-pins-after", value]),
        "--approve-pins-after must be a whole number of seconds, 0 or more.",
        value
      )
    }
    assert.isUndefined(Render.optionAsValue(["--config-dir", "-1.5", "whoami"]))
    // A negative decimal where an argument goes is an argument, judged as one.
    assert.strictEqual(
      Render.usageProblem(["devices", "revoke", "-1.5"]),
      "Invalid device id: must be a positive integer."
    )
    assert.isUndefined(Render.usageProblem(["devices", "revoke", "-5"]))
    assert.isUndefined(Render.usageProblem(["home", "switch", "-1.5"]))
    assert.strictEqual(
      Render.usageProblem(["whoami", "-1.5"]),
      "Unexpected argument: `plex-auth whoami` takes none."
    )
    // Not a number: still an option's look.
    assert.strictEqual(
      Render.optionAsValue(["fake-server", "--approve-pins-after", "-1.5x"]),
      missing("--approve-pins-after")
    )
    assert.isUndefined(Render.optionAsValue(["--config-dir", "-", "whoami"]))
    assert.isUndefined(Render.optionAsValue(["--config-dir", "./-v", "whoami", "-v"]))
    assert.isUndefined(Render.optionAsValue(["--config-dir", "d", "--version"]))
    // A boolean option, or one last without its value: not this check's.
    assert.isUndefined(Render.optionAsValue(["--fake", "-v"]))
    assert.isUndefined(Render.optionAsValue(["whoami", "--config-dir"]))
    // After --, arguments only.
    assert.isUndefined(Render.optionAsValue(["home", "switch", "--", "--login", "-v"]))
    // Followed by -- itself: no value, as when it stands last.
    assert.strictEqual(
      Render.optionAsValue(["whoami", "--config-dir", "--"]),
      "Missing value for --config-dir."
    )
    assert.strictEqual(Render.optionAsValue(["login", "--login", "--"]), "Missing value for --login.")
    assert.strictEqual(Render.optionAsValue(["--plex-tv", "--", "whoami"]), "Missing value for --plex-tv.")
    assert.strictEqual(
      Render.optionAsValue(["home", "switch", "--log-level", "--", "Kids"]),
      "Missing value for --log-level."
    )
    assert.isUndefined(Render.optionAsValue(["home", "switch", "--config-dir", "d", "--", "-Kids"]))
    assert.isUndefined(Render.optionAsValue(["home", "switch", "--config-dir=d", "--", "-Kids"]))
  })

  it("builtInsAfterName: --help, -h, --version, -v, --wizard after a command's options go next to its name", () => {
    assert.deepStrictEqual(Render.builtInsAfterName(["login", "--password", "--help"]), [
      "login",
      "--help",
      "--password"
    ])
    assert.deepStrictEqual(
      Render.builtInsAfterName(["--fake", "home", "switch", "Kids", "--json", "-h", "--wizard"]),
      ["--fake", "home", "switch", "-h", "--wizard", "Kids", "--json"]
    )
    assert.deepStrictEqual(Render.builtInsAfterName(["home", "switch", "--", "--help"]), [
      "home",
      "switch",
      "--",
      "--help"
    ])
    assert.deepStrictEqual(Render.builtInsAfterName(["frob", "--json", "--help"]), [
      "frob",
      "--json",
      "--help"
    ])
  })

  it("logLevelTyped: --log-level as typed, in either form, before any --", () => {
    assert.deepStrictEqual(Render.logLevelTyped(["--fake", "--log-level", "debug", "whoami"]), [
      "--log-level",
      "debug"
    ])
    assert.deepStrictEqual(Render.logLevelTyped(["whoami", "--log-level=info"]), ["--log-level=info"])
    assert.isUndefined(Render.logLevelTyped(["whoami", "--", "--log-level", "debug"]))
    assert.isUndefined(Render.logLevelTyped(["whoami", "--log-level"]))
  })

  it("parseScenarios names the unknown PLEX_AUTH_FAKE scenarios", () => {
    assert.deepStrictEqual(Render.parseScenarios(" offline, two-factor ,"), {
      scenarios: new Set<Render.FakeScenario>(["offline", "two-factor"])
    })
    assert.deepStrictEqual(Render.parseScenarios("offline,bogus"), {
      error: "Unknown PLEX_AUTH_FAKE scenario bogus (known: expire-pin, two-factor, revoke-token, offline)."
    })
  })

  it("table pads every column but the last, neutralising each cell; devicesText adds the last-seen date", () => {
    assert.strictEqual(
      Render.table([
        ["a", "1", "x"],
        ["long\x1b", "22", ""]
      ]),
      "a         1   x\nlong\\x1b  22"
    )
    assert.strictEqual(Render.devicesText([]), "No authorized devices.")
    assert.strictEqual(
      Render.devicesText([{ id: 7, name: "TV", product: "Plex", lastSeenAt: 1_735_689_600 }]),
      "7  TV  Plex  last seen 2025-01-01"
    )
  })

  it("PinExpired's words say what is known of the PIN: not approved only when the last check said so", () => {
    const words = (
      reason: string,
      lastError?: { readonly status?: number | undefined; readonly reason?: string | undefined }
    ) => Failure.failureOf({ _tag: "PinExpired", message: "", reason, lastError })
    const again = " Run `plex-auth login` again."
    assert.deepStrictEqual(words("Expired"), {
      message: `The PIN expired before it was approved.${again}`,
      exitCode: Failure.ExitCode.PinExpired
    })
    // The last check failed: an approval since the last answer would not have been seen.
    assert.strictEqual(
      words("Expired", {}).message,
      `The PIN expired while its last check could not reach plex.tv.${again}`
    )
    assert.strictEqual(
      words("Expired", { status: 503 }).message,
      `The PIN expired while its last check got no usable answer from plex.tv.${again}`
    )
    assert.strictEqual(
      words("Unreachable", {}).message,
      `The PIN expired while plex.tv could not be reached to check it.${again}`
    )
    assert.strictEqual(
      words("Unreachable", { status: 200 }).message,
      `The PIN expired while no check got a usable answer from plex.tv.${again}`
    )
    // A timeout (no status, perhaps as the answer's body arrived): not said unreachable.
    assert.strictEqual(
      words("Unreachable", { reason: "Timeout" }).message,
      `The PIN expired while no check got a usable answer from plex.tv.${again}`
    )
    assert.strictEqual(
      words("Expired", { reason: "Timeout" }).message,
      `The PIN expired while its last check got no usable answer from plex.tv.${again}`
    )
    assert.deepStrictEqual(words("NotFound"), {
      message: `plex.tv no longer knows the PIN (it expired there or was removed).${again}`,
      exitCode: Failure.ExitCode.PinExpired
    })
  })

  it("the Home errors have their own messages and exit codes", () => {
    assert.deepStrictEqual(Failure.failureOf({ _tag: "InvalidHomePin", message: "", user: "Kids" }), {
      message: `The PIN for "Kids" was not accepted: run \`plex-auth home switch\` again with the right one (or correct PLEX_HOME_PIN, if set).`,
      exitCode: Failure.ExitCode.Unauthorized
    })
    assert.deepStrictEqual(
      Failure.failureOf({ _tag: "HomeUserNotFound", message: "", user: "Zed", available: ["alice", "Kids"] }),
      {
        message: 'The Plex Home has no user "Zed" (it has: "alice", "Kids").',
        exitCode: Failure.ExitCode.Generic
      }
    )
    assert.strictEqual(Failure.failureOf({ _tag: "HomePinRequired", message: "", user: "Kids" }).exitCode, 3)
    // A 403 refuses the account, not its token: Plex's words, and no "sign in again" as it.
    assert.deepStrictEqual(
      Failure.failureOf({
        _tag: "Unauthorized",
        message: "",
        status: 403,
        errors: [{ message: "A managed user cannot own a server" }]
      }),
      {
        message:
          "Plex does not allow this to the saved account (HTTP 403: A managed user cannot own a server). Sign in as an account that may do it (`plex-auth login`).",
        exitCode: Failure.ExitCode.Unauthorized
      }
    )
    assert.strictEqual(
      Failure.failureOf({
        _tag: "Unauthorized",
        message: "",
        status: 401,
        errors: [{ code: 1001, message: "x" }]
      }).message,
      "Plex refused the saved token (HTTP 401, Plex code 1001). Run `plex-auth login` to sign in again."
    )
    // A PIN's creation or check carries no saved token: its refusal is said as that step's, each as it is.
    for (const [operation, step] of [
      ["PinLogin.create", "to create the PIN"],
      ["PinLogin.check", "the PIN check"],
      ["PinLogin.poll", "the PIN check"]
    ] as const)
      assert.strictEqual(
        Failure.failureOf({
          _tag: "Unauthorized",
          message: "",
          operation,
          status: 401,
          errors: [{ code: 1001, message: "x" }]
        }).message,
        `plex.tv refused ${step} (HTTP 401, Plex code 1001: x), so this sign-in cannot go on. Run \`plex-auth login\` again.`,
        operation
      )
    // No PIN can be asked for: how to give one; a blank PLEX_HOME_PIN is set, but counts as none.
    assert.strictEqual(Render.homePinMissing(false), "set PLEX_HOME_PIN")
    assert.strictEqual(
      Render.homePinMissing(true),
      "PLEX_HOME_PIN is blank, and a blank one counts as none: set it to the user's PIN"
    )
  })

  it("NoReachableConnection: each reason once, with the origins that met it, in the order tried", () => {
    const failure = Failure.failureOf({
      _tag: "NoReachableConnection",
      message: "",
      server: "Home",
      attempts: [
        { uri: "http://192.0.2.10:32400/identity", reason: "Transport", outcome: "NetworkError" },
        { uri: "https://203.0.113.10:8443", reason: "Status", outcome: "Unexpected" },
        { uri: "http://[2001:db8::1]:32400", reason: "Transport", outcome: "NetworkError" },
        { uri: "http://198.51.100.10:32400", outcome: "Cancelled" }
      ]
    })
    assert.deepStrictEqual(failure, {
      message:
        'No connection to the server "Home" answered (http://192.0.2.10:32400, http://[2001:db8::1]:32400: Transport; https://203.0.113.10:8443: Status; http://198.51.100.10:32400: Cancelled).',
      exitCode: Failure.ExitCode.Network
    })
    assert.strictEqual(
      Failure.failureOf({ _tag: "NoReachableConnection", message: "", server: "Home", attempts: [] }).message,
      'The server "Home" offers no usable connection.'
    )
  })

  it("the fake's seed: a saved token goes to the admin, or to the home user a previous run switched to", () => {
    const [admin, kids] = FakeSeed.fakeAccounts({ savedToken: "t0k3n", twoFactor: false })
    assert.strictEqual(admin?.token, "t0k3n")
    assert.isUndefined(kids?.token)
    const switched = FakeSeed.fakeAccounts({ savedToken: "t0k3n", savedUser: "kids", twoFactor: true })
    assert.isUndefined(switched[0]?.token)
    assert.strictEqual(switched[0]?.twoFactorCode, FakeSeed.fakeTwoFactorCode)
    assert.strictEqual(switched[1]?.token, "t0k3n")
    assert.strictEqual(FakeSeed.fakeSeededServer("http://192.0.2.77:32400/"), FakeSeed.fakeUnclaimedId)
    // The same URL as Claim.claimServer reads it (spaces around, the scheme or host in capitals): the fake's server,
    // not an address off the machine; another URL, or none, is none of the fake's.
    assert.strictEqual(FakeSeed.fakeSeededServer(" HTTP://192.0.2.77:32400/ \n"), FakeSeed.fakeUnclaimedId)
    assert.strictEqual(
      FakeSeed.fakeSeededServer("Http://192.0.2.10:32400"),
      "5d7e1c0f9b2a4c8e9f3a6b1d2c4e8f0a7b9c1d3e"
    )
    assert.isUndefined(FakeSeed.fakeSeededServer("http://192.0.2.77:32401"))
    assert.isUndefined(FakeSeed.fakeSeededServer("http://192.0.2.77:32400/web"))
    assert.isUndefined(FakeSeed.fakeSeededServer("192.0.2.77:32400"))
    assert.strictEqual(FakeSeed.fakeSwitchedUser(undefined, { title: "Kids", restricted: true }), "kids")
  })

  it("the fake both CLIs start: the scenarios pick its accounts and how its PINs end", () => {
    const plain = FakeSeed.fakeServerOptions({
      scenarios: new Set(),
      savedToken: "t0k3n",
      approvePinsAfter: 1000,
      pinLifetime: 2000,
      port: 0
    })
    assert.deepStrictEqual(plain, {
      accounts: FakeSeed.fakeAccounts({ savedToken: "t0k3n", twoFactor: false }),
      homes: FakeSeed.fakeHomes,
      servers: FakeSeed.fakeServers,
      port: 0,
      allowOrigins: undefined,
      autoApprovePins: { after: 1000 }
    })
    const expiring = FakeSeed.fakeServerOptions({
      scenarios: new Set(["expire-pin", "two-factor"] as const),
      approvePinsAfter: 1000,
      pinLifetime: 2000
    })
    // PINs that expire are never approved; two-factor asks the admin for a code.
    assert.deepStrictEqual("pinLifetime" in expiring ? expiring.pinLifetime : undefined, {
      strong: 2000,
      short: 2000
    })
    assert.notProperty(expiring, "autoApprovePins")
    assert.strictEqual(expiring.accounts[0]?.twoFactorCode, FakeSeed.fakeTwoFactorCode)
  })

  it("a prompt left unanswered, and --wizard asked for, as both CLIs read them", () => {
    assert.deepStrictEqual(Failure.promptUnanswered(true, "the password"), {
      message: "stdin ended before the prompt was answered: the password.",
      exitCode: 2
    })
    assert.deepStrictEqual(Failure.promptUnanswered(true), {
      message: "stdin ended before the prompt was answered.",
      exitCode: 2
    })
    assert.deepStrictEqual(Failure.promptUnanswered(false, "the password"), {
      message: "Cancelled.",
      exitCode: 130
    })
    assert.isTrue(Render.wizardRequested(["login", "--wizard"]))
    assert.isFalse(Render.wizardRequested(["login", "--", "--wizard"]))
  })

  it("logout removes its token while the file still holds it, and under --fake the account it was seeded on", () => {
    const removals = (current: string | undefined, fake: boolean) =>
      Render.logoutRemovals({ tokenKey: "k", saved: "t0k3n", current, fake })
    assert.deepStrictEqual(removals("t0k3n", false), ["k"])
    assert.deepStrictEqual(removals("t0k3n", true), ["k", FakeSeed.fakeUserKey])
    // Another process stored a token of its own meanwhile, or none is left: nothing of it is removed.
    assert.deepStrictEqual(removals("other", true), [])
    assert.deepStrictEqual(removals(undefined, true), [])
  })

  it("the store's failure names its file as given, and the line printed shows a control character in it escaped", () => {
    // storeFailureMessage keeps the path as the store gave it (--json carries it exactly); failureText, which both
    // CLIs print every failure through, escapes what a terminal would act on (here --config-dir's own characters).
    const path = "/tmp/a\x1b[31mRED\u202e/store.json"
    const message = Failure.storeFailureMessage({
      reason: "InvalidData",
      path,
      description: "not UTF-8 text"
    })
    assert.strictEqual(message, `Could not use the credentials file ${path} (InvalidData: not UTF-8 text).`)
    const line = Failure.failureText({ message, exitCode: 1 }, { json: false })
    assert.notMatch(line, /[\x1b\u202e]/)
    assert.include(line, "/tmp/a\\x1b[31mRED\\u202e/store.json")
    assert.strictEqual(
      JSON.parse(Failure.failureText({ message, exitCode: 1 }, { json: true })).error.message,
      message
    )
  })

  it("a URL with a user name or password is refused in the CLI's terms, not the library's", () => {
    const reason = "must not embed credentials; use Credentials for the token"
    const said = Failure.failureOf({ _tag: "InvalidInput", message: "", field: "serverUrl", reason })
    assert.strictEqual(said.exitCode, 2)
    assert.notInclude(said.message, "Credentials")
    assert.include(said.message, "sign in with `plex-auth login` instead")
    assert.notInclude(Failure.invalidMessage("--plex-tv URL", reason), "Credentials")
    // A client identifier spoilt in the credentials file: named as the CLI keeps it, not by the library's field.
    const kept = Failure.failureOf({
      _tag: "InvalidInput",
      message: "",
      field: "clientIdentifier",
      reason: "must not contain control characters"
    }).message
    assert.notInclude(kept, "clientIdentifier")
    assert.include(kept, "Invalid client identifier kept in store.json")
    // ClientIdentity.makePersisted's reason says what to do with it: said once, not twice.
    const stored = Configured.storedIdentifierProblem("id-\u0007", ClientIdentity.defaultStoreKey) ?? ""
    assert.strictEqual(
      Failure.failureOf({ _tag: "InvalidInput", message: "", field: "clientIdentifier", reason: stored })
        .message,
      `Invalid client identifier kept in store.json: ${stored}.`
    )
    assert.strictEqual(
      Failure.failureOf({ _tag: "InvalidInput", message: "", field: "token", reason: "must not be empty" })
        .message,
      "Invalid saved token: must not be empty."
    )
    // home switch: a Home PIN the library refuses came from PLEX_HOME_PIN (the prompt takes four digits only).
    assert.strictEqual(
      Failure.failureOf({ _tag: "InvalidInput", message: "", field: "pin", reason: "must be four digits" })
        .message,
      "Invalid PLEX_HOME_PIN: must be four digits."
    )
    // logout with such a token: trying again cannot help, only forgetting it; a failure of plex.tv's may pass.
    assert.strictEqual(
      Render.logoutFailedMessage("Invalid saved token: must not be empty.", { _tag: "InvalidInput" }),
      "Invalid saved token: must not be empty. The token is still saved: use `plex-auth logout --local` to forget it."
    )
    assert.include(
      Render.logoutFailedMessage("plex.tv did not answer.", { _tag: "NetworkError" }),
      "try again, or use `plex-auth logout --local`"
    )
    // logout answered 403 (the token kept): what the 403 says of the token, not failureOf's advice to sign in as
    // another account (a login would replace the token the user asked to revoke).
    const forbidden = {
      _tag: "Unauthorized",
      message: "",
      status: 403,
      errors: [{ code: 1000, message: "Forbidden here" }]
    }
    assert.strictEqual(
      Render.logoutFailedMessage(Failure.failureOf(forbidden).message, forbidden),
      "plex.tv refused to revoke the saved token (HTTP 403, Plex code 1000: Forbidden here): a 403 refuses what an account may not do, or is a proxy's, and does not say the token is invalid: it may still be valid. The token is still saved: try again, or use `plex-auth logout --local`."
    )
    // Other reasons are the CLI's words already.
    assert.strictEqual(
      Failure.invalidMessage("server URL", "must use http or https, not ftp"),
      "Invalid server URL: must use http or https, not ftp."
    )
  })

  it("claim's errors are said in the CLI's terms, not the library's (`Claim.claimServer: ...`)", () => {
    // Another account's (listed, not owned, as plex.tv's list told the library), or not known whose (the list could
    // not be read, or does not have it): each said so (this account's own is no failure: the claim command answers it).
    const claimed = (claimedBy: string) =>
      Failure.failureOf({
        _tag: "ServerAlreadyClaimed",
        message: "Claim.claimServer: the server m1 at http://10.0.0.5:32400 is already claimed",
        url: "http://10.0.0.5:32400",
        machineIdentifier: "m1",
        claimedBy
      })
    assert.deepStrictEqual(claimed("AnotherAccount"), {
      message:
        "The server m1 at http://10.0.0.5:32400 is already claimed by another account (plex.tv lists it for this account, but not as its own): sign in as its owner (`plex-auth login`), or have the owner remove it from their account (their authorized devices), then run `plex-auth claim` again.",
      exitCode: 1
    })
    assert.deepStrictEqual(claimed("Unknown"), {
      message:
        "The server m1 at http://10.0.0.5:32400 is already claimed, by this account or another (plex.tv's list of this account's servers could not be read, or does not have it: a server claimed moments ago may not be listed yet; `plex-auth servers` lists it, owned, once it is this account's). If another's, sign in as its owner (`plex-auth login`), or have the owner remove it from their account (their authorized devices), then run `plex-auth claim` again.",
      exitCode: 1
    })
    const rejected = Failure.failureOf({
      _tag: "ClaimRejected",
      message: "Claim.claimServer: the server at http://10.0.0.5:32400 refused the claim (HTTP 401)",
      url: "http://10.0.0.5:32400/myplex/claim?token=claim-secret",
      status: 401,
      errors: [{ code: 1001 }]
    })
    assert.strictEqual(rejected.exitCode, 1)
    assert.strictEqual(
      rejected.message,
      "http://10.0.0.5:32400 refused the claim (HTTP 401, Plex code 1001). Run `plex-auth claim` again, from the server's own network: it gets a fresh claim token."
    )
    for (const failure of [claimed("AnotherAccount"), claimed("Unknown"), rejected])
      assert.notInclude(failure.message, "Claim.claimServer")
  })

  it("authAppUrlOf: --auth-app-url (or PLEX_AUTH_APP_URL) is checked as PinLogin.authUrl checks authAppUrl, in its words", () => {
    const identity = ClientIdentity.layer({
      clientIdentifier: "cli-test",
      product: "plex-auth",
      version: "1.0",
      platform: "Node.js",
      platformVersion: "20",
      device: "Linux",
      deviceName: "host"
    })
    // The library's reason for an authAppUrl it refuses.
    const libraryReason = (authAppUrl: string) =>
      Effect.runSync(
        Effect.flip(PinLogin.authUrl({ code: "ABCD" }, { authAppUrl })).pipe(
          Effect.map((error) => (error._tag === "InvalidInput" ? [error.field, error.reason] : [])),
          Effect.provide(identity)
        )
      )
    assert.deepStrictEqual(Failure.authAppUrlOf("http://127.0.0.1:1/auth/", "option"), {
      url: "http://127.0.0.1:1/auth"
    })
    for (const bad of [
      "notaurl",
      "127.0.0.1:1",
      "ftp://x.example/auth",
      "http://x/auth?a=1",
      "http://x/auth#f"
    ]) {
      const [field, reason] = libraryReason(bad)
      assert.strictEqual(field, "authAppUrl", bad)
      assert.deepStrictEqual(Failure.authAppUrlOf(bad, "option"), {
        message: `Invalid --auth-app-url URL: ${reason}.`
      })
      assert.deepStrictEqual(Failure.authAppUrlOf(bad, "variable"), {
        message: `Invalid PLEX_AUTH_APP_URL: ${reason}.`
      })
    }
    // A URL with credentials: said plainly, never the URL itself, and not cliReason's advice to sign in with
    // `plex-auth login` instead (given to `plex-auth login` itself, where the URL is only printed).
    const secret = Failure.authAppUrlOf("http://u:s3cret@x/auth", "option")
    assert.deepStrictEqual(secret, {
      message:
        "Invalid --auth-app-url URL: must not carry a user name or password (it is the page the sign-in link opens in a browser)."
    })
    assert.deepStrictEqual(Failure.authAppUrlOf("http://u:s3cret@x/auth", "variable"), {
      message:
        "Invalid PLEX_AUTH_APP_URL: must not carry a user name or password (it is the page the sign-in link opens in a browser)."
    })
    assert.notInclude(JSON.stringify(secret), "s3cret")
  })

  it("givenBy: a value of an option-or-variable pair is named after where it came from", () => {
    assert.strictEqual(Failure.givenBy("option", "--plex-tv URL", "PLEX_TV_URL"), "--plex-tv URL")
    assert.strictEqual(Failure.givenBy("variable", "--plex-tv URL", "PLEX_TV_URL"), "PLEX_TV_URL")
    assert.strictEqual(Failure.givenBy(undefined, "--server", "PLEX_SERVER_URL"), "--server")
    assert.strictEqual(
      Failure.invalidMessage(
        Failure.givenBy("variable", "--server URL", "PLEX_SERVER_URL"),
        "must not be empty"
      ),
      "Invalid PLEX_SERVER_URL: must not be empty."
    )
  })

  it("optionAsValue: a switch given a value inline that no boolean takes is refused, in one message", () => {
    const said = (name: string) =>
      `${name} takes no value: give it alone, or with one of true, false, yes, no, y, n, on, off, 1, 0 (\`${name}=false\`).`
    for (const [args, name] of [
      [["whoami", "--json=-x"], "--json"],
      [["--json=-x", "whoami"], "--json"],
      [["whoami", "--json=bogus"], "--json"],
      [["whoami", "--json="], "--json"],
      [["whoami", "--json=TRUE"], "--json"],
      [["--fake=s3cret", "whoami"], "--fake"],
      [["login", "--password=x"], "--password"],
      [["login", "--link-code=maybe"], "--link-code"],
      [["logout", "--local=-"], "--local"]
    ] as const) {
      assert.strictEqual(Render.optionAsValue(args), said(name), args.join(" "))
    }
    // The value is not repeated.
    assert.notInclude(Render.optionAsValue(["--fake=s3cret", "whoami"])!, "s3cret")
    // The parsers' own built-in switches take no value inline at all (they disagreed even on `--help=false`).
    for (const name of ["--help", "--version", "--wizard"]) {
      for (const value of ["x", "false", "true"]) {
        assert.strictEqual(Render.optionAsValue(["whoami", `${name}=${value}`]), `${name} takes no value.`)
      }
    }
    // The words both parsers take: left to them (they agree); after --, an argument.
    for (const word of ["true", "false", "yes", "no", "y", "n", "on", "off", "1", "0"]) {
      assert.isUndefined(Render.optionAsValue(["whoami", `--json=${word}`]), word)
      assert.isUndefined(Render.optionAsValue([`--fake=${word}`, "login", `--password=${word}`]), word)
    }
    assert.isUndefined(Render.optionAsValue(["home", "switch", "--", "--json=x"]))
  })

  it("signInInputName: login --password's inputs are named after where they came from", () => {
    const env = { login: "option", password: "variable", code: "variable" } as const
    const typed = { login: "prompt", password: "prompt", code: "prompt" } as const
    assert.strictEqual(Failure.signInInputName("verificationCode", env), "PLEX_2FA_CODE")
    assert.strictEqual(
      Failure.signInInputName("verificationCode", typed),
      "two-factor code (typed at the prompt)"
    )
    assert.strictEqual(Failure.signInInputName("password", env), "PLEX_PASSWORD")
    assert.strictEqual(Failure.signInInputName("password", typed), "password (typed at the prompt)")
    assert.strictEqual(Failure.signInInputName("login", env), "--login")
    assert.strictEqual(Failure.signInInputName("login", typed), "login (typed at the prompt)")
    assert.strictEqual(Failure.signInInputName("serverUrl", env), Failure.inputName("serverUrl"))
  })

  it("jsonRequested: --json in each form the parsers read, so errors are JSON when the result is", () => {
    for (const args of [
      ["whoami", "--json"],
      ["--json", "whoami"],
      ["whoami", "--json=true"],
      ["whoami", "--json=yes"],
      ["--json=1", "whoami"],
      ["whoami", "--json", "on"],
      ["--json", "true", "whoami"]
    ]) {
      assert.isTrue(Failure.jsonRequested(args), args.join(" "))
    }
    for (const args of [
      ["whoami"],
      ["whoami", "--json=false"],
      ["whoami", "--json=no"],
      ["whoami", "--json", "false"],
      ["--json", "0", "whoami"],
      ["whoami", "--json=-x"],
      ["whoami", "--json=TRUE"],
      ["home", "switch", "--", "--json"]
    ]) {
      assert.isFalse(Failure.jsonRequested(args), args.join(" "))
    }
  })

  it("a --config-dir the user chose is said open when it is theirs and group or others may read or search it", () => {
    const stat = (mode: number, uid = 501, directory = true) => ({
      mode: 0o40000 | mode,
      uid,
      isDirectory: () => directory
    })
    const note = Directory.openDirectoryText("/home/alice/plex", 0o755)
    assert.strictEqual(Directory.openDirectoryNote("/home/alice/plex", stat(0o755), 501), note)
    assert.include(note, "(mode 755)")
    assert.include(note, "they can list it, though not read the token")
    assert.include(Directory.openDirectoryNote("/p", stat(0o750), 501), "(mode 750): they can list it,")
    // Search permission alone: others cannot list it, only reach what is in it by name.
    assert.include(
      Directory.openDirectoryNote("/p", stat(0o710), 501),
      "(mode 710): they can reach what is in it by name, though not read the token"
    )
    assert.include(
      Directory.openDirectoryNote("/p", stat(0o711), 501),
      "(mode 711): they can reach what is in it by name,"
    )
    assert.include(Directory.openDirectoryNote("/p", stat(0o701), 501), "(mode 701): they can reach")
    // Private, another user's (the store refuses one others may write), not a directory, not examined, or Windows (no uid).
    assert.isUndefined(Directory.openDirectoryNote("/p", stat(0o700), 501))
    assert.isUndefined(Directory.openDirectoryNote("/p", stat(0o755, 0), 501))
    assert.isUndefined(Directory.openDirectoryNote("/p", stat(0o755, 501, false), 501))
    assert.isUndefined(Directory.openDirectoryNote("/p", undefined, 501))
    assert.isUndefined(Directory.openDirectoryNote("/p", stat(0o755), undefined))
    // A path's control characters are shown, not let act on the terminal.
    assert.notInclude(Directory.openDirectoryText("/p\u001b[2Jx", 0o755), "\u001b")
  })
})
