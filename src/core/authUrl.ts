/**
 * The app.plex.tv URL a PIN sign-in sends the user to: Plex's own sign-in
 * page, which approves the PIN `code` for the client `clientID` and then
 * sends the browser to `forwardUrl`. The parameters travel in the URL's
 * fragment (`#?...`), as app.plex.tv reads them: a fragment is never sent to
 * a server nor in a `Referer`. The parameters are python-plexapi's
 * (`MyPlexPinLogin.oauthUrl`: `clientID`, `code`, `context[device][...]`,
 * `forwardUrl`). Shared by `PinLogin.authUrl` and `WebSignIn`.
 *
 * @internal
 */

/** Plex's sign-in page. */
export const defaultAppUrl = "https://app.plex.tv/auth"

/** What the URL carries. `forwardUrl` must already be checked (an absolute http(s) URL). */
export interface AuthUrlInput {
  readonly clientIdentifier: string
  readonly code: string
  readonly product: string
  readonly version?: string | undefined
  readonly platform?: string | undefined
  readonly platformVersion?: string | undefined
  readonly device?: string | undefined
  readonly deviceName?: string | undefined
  readonly forwardUrl?: string | undefined
  /** Where the sign-in page is; default {@link defaultAppUrl} (a stand-in in tests). */
  readonly appUrl?: string | undefined
}

/** `https://app.plex.tv/auth#?clientID=...&code=...&context[device][product]=...[&forwardUrl=...]` */
export const authUrl = (input: AuthUrlInput): string => {
  const params = new URLSearchParams()
  params.set("clientID", input.clientIdentifier)
  params.set("code", input.code)
  params.set("context[device][product]", input.product)
  const context: ReadonlyArray<readonly [string, string | undefined]> = [
    ["version", input.version],
    ["platform", input.platform],
    ["platformVersion", input.platformVersion],
    ["device", input.device],
    ["deviceName", input.deviceName]
  ]
  for (const [key, value] of context) {
    if (value !== undefined) params.set(`context[device][${key}]`, value)
  }
  if (input.forwardUrl !== undefined) params.set("forwardUrl", input.forwardUrl)
  return `${input.appUrl ?? defaultAppUrl}#?${params.toString()}`
}

/** The parameters of an {@link authUrl} (what the sign-in page reads from its fragment). */
export const authUrlParams = (url: string): URLSearchParams => {
  const hash = url.indexOf("#")
  const fragment = hash < 0 ? "" : url.slice(hash + 1)
  return new URLSearchParams(fragment.startsWith("?") ? fragment.slice(1) : fragment)
}
