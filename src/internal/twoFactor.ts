/**
 * Facts about Plex's two-factor sign-in, as plain functions (no Effect).
 *
 * @internal
 */

/** The codes plex.tv gives a sign-in that needs a two-factor code (1029) or got a wrong one (1028). */
export const verificationCodeRequiredCode = 1029
export const invalidVerificationCodeCode = 1028

/** A message that asks for the two-factor code ("Please enter the verification code"). */
const asksForCode = /verification code/i
/** A message that says the code given was not accepted ("Invalid verification code"). */
const refusesCode = /\b(?:invalid|incorrect|wrong|expired)\b/i

/**
 * What a refused sign-in says of the two-factor code: `"Required"` when it
 * demands one, `"Invalid"` when it refused the one given, `undefined`
 * otherwise. Plex's codes decide first (1028, 1029). A 401 without either
 * code whose message asks for the verification code is a demand too:
 * python-plexapi (`MyPlexAccount.query`: `"verification code" in
 * response.text` on a 401) and plex-rs match that text, as some answers
 * carry no code; one that calls the code invalid is a refusal.
 */
export const twoFactorOutcome = (
  status: number,
  codes: ReadonlySet<number>,
  messages: ReadonlyArray<string>
): "Required" | "Invalid" | undefined => {
  if (codes.has(invalidVerificationCodeCode)) return "Invalid"
  if (codes.has(verificationCodeRequiredCode)) return "Required"
  if (status !== 401) return undefined
  const about = messages.filter((m) => asksForCode.test(m))
  if (about.length === 0) return undefined
  return about.some((m) => refusesCode.test(m)) ? "Invalid" : "Required"
}

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
