/**
 * Facts about Plex's two-factor sign-in, as plain functions (no Effect).
 *
 * @internal
 */

/**
 * What a refused sign-in says of the two-factor code: `"Required"` when it
 * demands one, `"Invalid"` when it refused the one given, `undefined`
 * otherwise. Plex's codes decide first (1028 invalid, 1029 required). A 401
 * without either code whose message asks for the verification code is a
 * demand too: python-plexapi (`MyPlexAccount.query`: `"verification code" in
 * response.text` on a 401) and plex-rs match that text, as some answers
 * carry no code; one that calls the code invalid is a refusal.
 */
export const twoFactorOutcome = (
  status: number,
  codes: ReadonlySet<number>,
  messages: ReadonlyArray<string>
): "Required" | "Invalid" | undefined =>
  codes.has(1028)
    ? "Invalid"
    : codes.has(1029)
      ? "Required"
      : status !== 401 || !messages.some((m) => /verification code/i.test(m))
        ? undefined
        : messages.some((m) => /\b(?:invalid|incorrect|wrong|expired)\b/i.test(m))
          ? "Invalid"
          : "Required"

/**
 * Why a two-factor code cannot be sent, or `undefined` when it can: any
 * code of 4 to 64 letters, digits, hyphens, underscores or spaces (after
 * trimming) — the six digits of an authenticator app, and Plex's backup
 * (recovery) codes. Never quotes the code.
 */
export const verificationCodeProblem = (code: string): string | undefined => {
  const trimmed = code.trim()
  if (trimmed.length === 0) return "must not be empty"
  if (trimmed.length < 4 || trimmed.length > 64) return "must be 4 to 64 characters long"
  if (!/^[A-Za-z0-9_ -]+$/.test(trimmed)) {
    return "may only hold letters, digits, hyphens, underscores and spaces"
  }
  return undefined
}
