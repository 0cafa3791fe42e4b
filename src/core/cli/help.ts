/**
 * The help both editions' `plex-auth` CLIs show: each command's and option's
 * description, written once so that `--help` says the same on both.
 *
 * @internal
 */

/** Descriptions of the commands (`...Command`), their options and arguments. */
export const help = {
  fake: "Run against a fake Plex started inside the CLI on 127.0.0.1 instead of plex.tv: no account or network needed. PINs are approved after a second; the fake account is alice@example.com, password alice-secret-password.",
  configDir:
    "Where the token and the client identifier are kept. Default: ~/.config/effect-plex-auth ($XDG_CONFIG_HOME, %APPDATA% on Windows).",
  plexTv:
    "Talk to another plex.tv (a proxy, or `plex-auth fake-server`) at this base URL. Default: PLEX_TV_URL, else https://plex.tv.",
  authAppUrl:
    "Where the PIN login's sign-in link points (an http(s) URL without query or fragment), e.g. `plex-auth fake-server`'s sign-in page. Default: PLEX_AUTH_APP_URL, else https://app.plex.tv/auth.",
  json: "Print the result as one JSON document on stdout, and errors as JSON on stderr (see docs/cli.md).",
  oldToken:
    "When already logged in: revoke the old token at plex.tv once the new login succeeds, or keep it valid. Asked for when not given.",
  password:
    "Sign in with login and password instead of a PIN. The password comes from PLEX_PASSWORD or a hidden prompt, a two-factor code from PLEX_2FA_CODE or a prompt: never from the command line.",
  login: "With --password: the account's email or username (asked for when missing).",
  linkCode:
    "With a PIN login: also show a four-character code, to type at https://plex.tv/link (from a TV, say) when signing in to plex.tv.",
  noRememberMe:
    "With --password: ask plex.tv for a short session (rememberMe=false). By default the CLI asks for a long-lived one.",
  loginCommand:
    "Sign in and save the token: with a PIN approved in the browser (the default), or with --password.",
  whoamiCommand:
    "Show the account of the saved token, checked with plex.tv (exit 3 when not logged in or the token is refused).",
  server:
    "The server: its base URL (e.g. http://192.168.1.10:32400, or PLEX_SERVER_URL), or its name. Default: the account's own server, found through plex.tv.",
  transientCommand:
    "Print a transient token from a server (valid up to 48 hours, gone when the server restarts), and nothing else, on stdout.",
  serversCommand: "List the account's servers: the connection chosen for each and how long each probe took.",
  tokenCommand: "Tokens derived from the saved one.",
  local: "Only forget the saved token, without revoking it at plex.tv (for when plex.tv cannot be reached).",
  logoutCommand: "Sign out: revoke the saved token at plex.tv and forget it.",
  approvePinsAfter: "Approve each PIN this many seconds after it was created, as a user would. Default 1.",
  port: "plex.tv's port on 127.0.0.1, for a fixed PLEX_TV_URL (the fake's other origins get free ports). Default 0: a free port.",
  allowOrigin:
    "Answer browser pages of this origin (scheme://host[:port], e.g. http://localhost:5173) with CORS headers, so that a web app can use the fake; repeat for more. The control API under /__fake/ stays closed to pages. Default: none.",
  fakeServerCommand:
    "Run the fake Plex on 127.0.0.1 until stopped, and print its URLs and credentials: point any program at it (PLEX_TV_URL).",
  switchCommand:
    "Switch to a user of the Plex Home (by title, username, email, id or uuid) and save its token; uses PLEX_HOME_PIN when set, else asks for the PIN of a protected user, or of any user plex.tv wants one for.",
  homeCommand: "List the users of the account's Plex Home (admin, managed, PIN-protected).",
  claimTokenCommand:
    "Print a claim token (valid a few minutes; what Docker's PLEX_CLAIM takes), and nothing else, on stdout.",
  claimCommand:
    "Claim an unclaimed server (e.g. http://192.168.1.20:32400, on its own network) for the saved account.",
  revokeCommand:
    "Revoke an authorized device (its id from `plex-auth devices`): it is signed out. The CLI's own device: its saved token is forgotten too.",
  devicesCommand: "List the devices authorized on the account (id, name, product, last seen).",
  user: "The Home user: its title, username, email, id or uuid.",
  serverUrl: "The unclaimed server's base URL, e.g. http://192.168.1.20:32400.",
  id: "The device's id, from `plex-auth devices`.",
  /**
   * The last line of every help, in both editions (the Effect 3 CLI says first where --help and --version are).
   * A web address: the packages do not ship docs/ (the package.json `homepage` is the repository).
   */
  footer:
    "Exit codes and --json output: https://github.com/effect-plex-auth/effect-plex-auth/blob/main/docs/cli.md"
} as const
