/**
 * Secrets on their way out: masked in every text that leaves the library
 * (error details, body excerpts, transport messages), in each form a server
 * may echo them in. Plain functions, shared by both editions (each reveals
 * its own `Redacted` values).
 *
 * @internal
 */
/** What a masked secret reads as. */
export const mask = "<redacted>"

/**
 * Secrets shorter than this are masked only where they stand alone (not in
 * the middle of a word): a one-letter password must not turn `plex.tv` into
 * `ple<redacted>.tv`. Longer ones (every token, a six-digit code) are masked
 * wherever they appear.
 */
export const minLengthAnywhere = 6

/** The ways a secret can be echoed back: as sent in a form or query, URI-encoded, JSON-escaped, or as is. */
const echoedForms = (secret: string): Array<string> => {
  // The same form more than once is masked the same, so they are not told apart.
  const forms = [
    new URLSearchParams({ "": secret }).toString().slice(1),
    JSON.stringify(secret).slice(1, -1),
    secret
  ]
  try {
    forms.push(encodeURIComponent(secret))
  } catch {
    // A lone surrogate has no URI encoding.
  }
  return forms
}

const isWordChar = (char: string | undefined): boolean => char !== undefined && /[\p{L}\p{N}_]/u.test(char)

/**
 * Masks every known secret in a text, in each form it may be echoed in. A
 * secret of at least {@link minLengthAnywhere} characters is masked
 * wherever it appears; a shorter one wherever it stands alone: no word
 * character glued to it on either side but a masked one (the forms of all
 * the secrets are taken longest first: a short password run into a code is
 * masked with it). Every occurrence is found in the text as it came, and
 * each run of masked characters is one mask: one secret within another (a
 * password that stands alone within a backup code), two that overlap or
 * meet, or one that overlaps itself, is never shown in part, whatever their
 * order.
 */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  // Which characters are masked (one more, never, so that every run ends).
  const masked = new Uint8Array(text.length + 1)
  for (const form of secrets.flatMap(echoedForms).sort((a, b) => b.length - a.length)) {
    // The form's last `period` characters, `period` its smallest: the form occurs again `period` on wherever
    // they follow an occurrence. Each run of occurrences so found is one step, so a secret that repeats itself
    // ('a' x 64) costs the text's length, not its own length at every character of a text that echoes it.
    let period = 1
    while (!form.startsWith(form.slice(period))) period++
    const tail = form.slice(-period)
    for (
      let at = form ? text.indexOf(form) : -1, end = 0;
      at > -1;
      at = text.indexOf(form, end - form.length + 1)
    ) {
      end = at + form.length
      if (form.length >= minLengthAnywhere) while (text.startsWith(tail, end)) end += period
      else if (
        (!masked[at - 1] && isWordChar(text[at - 1]) && isWordChar(form[0])) ||
        (!masked[end] && isWordChar(text[end]) && isWordChar(form[end - at - 1]))
      )
        continue
      masked.fill(1, at, end)
    }
  }
  // Each run of masked characters (occurrences that overlap or meet) as one mask.
  let out = ""
  let from = 0
  for (let at; (at = masked.indexOf(1, from)) > -1; from = masked.indexOf(0, at))
    out += text.slice(from, at) + mask
  return out + text.slice(from)
}

/** The first 200 characters of a body, whitespace collapsed, secrets masked (before it is cut). */
export const excerpt = (text: string, secrets: ReadonlyArray<string>): string | undefined => {
  // Mask first: collapsing whitespace or cutting could otherwise leave part of a secret unrecognised.
  const collapsed = scrub(text, secrets).replace(/\s+/g, " ").trim()
  return collapsed.length > 200 ? `${collapsed.slice(0, 200)}…` : collapsed || undefined
}

/**
 * `value` with every secret in it opened (strings, arrays, plain objects:
 * form values, query values, JSON bodies): `open` gives a secret's value, or
 * `undefined` for what is not a secret. Each opened string is pushed onto
 * `found`, so errors can mask it. Each edition passes its `Redacted`.
 */
export const revealWith = (
  value: unknown,
  open: (value: unknown) => { readonly value: unknown } | undefined,
  found: Array<string>
): unknown => {
  const secret = open(value)
  if (secret) {
    if (typeof secret.value === "string") found.push(secret.value)
    return secret.value
  }
  if (Array.isArray(value)) return value.map((item) => revealWith(item, open, found))
  // An object that is no array (those went above): `decode.ts`'s `isRecord`, not imported so that the bundler
  // inlines this module's constants (it does not in a module that imports).
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, revealWith(item, open, found)])
    )
  }
  return value
}

/**
 * `text` as the UTF-8 bytes of a request body that carries a secret: sent as
 * they are (`fetch`, undici and `node:http` all take a `Uint8Array`, so the
 * wire is the same as for the text), but rendered as {@link mask} by
 * `JSON.stringify`, `util.inspect` and `String`, wherever a request is logged
 * or carried by a platform error (`HttpBody.raw` shows its body as it is).
 * Own properties rather than a subclass: a plain function stays out of the
 * bundles that do not call it.
 */
export const sealedBody = (text: string): Uint8Array => {
  const render = () => mask
  return Object.assign(new TextEncoder().encode(text), {
    toJSON: render,
    toString: render,
    [Symbol.for("nodejs.util.inspect.custom")]: render
  })
}

/**
 * The header names whose values may carry a secret, added to the platform's
 * redacted header names (what its logs and spans show as `<redacted>`)
 * wherever the library sends: the token's own, and `Location`, where a server
 * may redirect to a URL carrying the token (it is never sent on; this keeps
 * it out of the spans too).
 */
export const secretHeaderNames: ReadonlyArray<string> = ["x-plex-token", "location"]

/**
 * The value of an answer header a caller is handed (`WithResponse.headers`,
 * ServerClient's responses and errors) with what may be a secret taken out:
 * the request's `secrets` masked in every header (a server may echo the token
 * in a `Content-Location`, a `Link`, a `Refresh`, or any other), and the value
 * of every `X-Plex-Token` query parameter in it (a server may hand out a token
 * the request did not carry: up to the end of the parameter, or a character no
 * URL holds as it is, a space, `>` or `"`, which end a URL in a `Link`); an
 * `X-Plex-Token` header is masked whole. A header with none of these is
 * returned as it is.
 */
export const scrubAnswerHeader = (name: string, value: string, secrets: ReadonlyArray<string>): string =>
  name.toLowerCase() === "x-plex-token"
    ? mask
    : // A secret masked in the value already is one unit of it ({@link mask}: its `>` ends no URL).
      scrub(value, secrets).replace(/([?&]X-Plex-Token=)(?:<redacted>|[^&#\s>"])*/gi, `$1${mask}`)

/**
 * The answer headers that must be changed before a caller sees them: each header in `headers` whose value
 * {@link scrubAnswerHeader} changes, with its scrubbed value (none when there is nothing to take out).
 */
export const scrubbedAnswerHeaders = (
  headers: Readonly<Record<string, string | undefined>>,
  secrets: ReadonlyArray<string>
): ReadonlyArray<readonly [name: string, value: string]> =>
  Object.entries(headers).flatMap(([name, value]) => {
    const scrubbed = value === undefined ? undefined : scrubAnswerHeader(name, value, secrets)
    return scrubbed === undefined || scrubbed === value ? [] : [[name, scrubbed] as const]
  })

/** `names` with {@link secretHeaderNames} added; `names` itself when they are all there. */
export const withSecretHeaderNames = <N>(names: ReadonlyArray<N | string>): ReadonlyArray<N | string> => {
  const missing = secretHeaderNames.filter((name) => !names.includes(name))
  return missing[0] ? [...names, ...missing] : names
}
