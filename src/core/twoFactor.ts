/**
 * Facts about Plex's two-factor sign-in, as plain functions (no Effect).
 *
 * @internal
 */

/**
 * What a refused sign-in (its status, Plex's error codes and messages) says
 * of the two-factor code: `VerificationCodeRequired` when it demands one,
 * `InvalidVerificationCode` when it refused the one given, `undefined`
 * otherwise (`policy.ts`'s `classify` then goes on). Plex's codes decide
 * first (1028 invalid, 1029 required). A 401 without either code whose
 * message asks for the verification code is a demand too: python-plexapi
 * (`MyPlexAccount.query`: `"verification code" in response.text` on a 401)
 * and plex-rs match that text, as some answers carry no code; one that calls
 * the code invalid is a refusal.
 */
export const twoFactorOutcome = (
  status: number,
  codes: ReadonlyArray<number>,
  messages: string
): "VerificationCodeRequired" | "InvalidVerificationCode" | undefined =>
  codes.includes(1028)
    ? "InvalidVerificationCode"
    : codes.includes(1029)
      ? "VerificationCodeRequired"
      : status !== 401 || !/verification code/i.test(messages)
        ? undefined
        : /\b(invalid|incorrect|wrong|expired)\b/i.test(messages)
          ? "InvalidVerificationCode"
          : "VerificationCodeRequired"

/** What reads a refused sign-in's two-factor meaning: {@link twoFactorOutcome}. */
export type TwoFactorReader = typeof twoFactorOutcome

/**
 * Why a two-factor code cannot be sent, or `undefined` when it can: any
 * code of 4 to 64 letters, digits, hyphens, underscores or spaces (after
 * trimming) — the six digits of an authenticator app, and Plex's backup
 * (recovery) codes. Never quotes the code.
 */
export const verificationCodeProblem = (code: string): string | undefined => {
  const trimmed = code.trim()
  // One check, one reason (every sign-in's bundle carries it): `\w` is a letter, a digit or an underscore.
  return trimmed === ""
    ? "must not be empty"
    : /^[\w -]{4,64}$/.test(trimmed)
      ? undefined
      : "must be 4 to 64 letters, digits, hyphens, underscores or spaces"
}

/**
 * The code as it is sent: trimmed, and an authenticator app's six digits
 * typed as apps show them, in groups (`"123 456"`, `"123-456"`), without the
 * spaces and hyphens between them (a TOTP code is six digits; plex.tv is not
 * known to drop the separators itself, and python-plexapi sends `code` as
 * given). Any other code, Plex's backup (recovery) codes among them, is sent
 * as typed. Call it on a code {@link verificationCodeProblem} accepts.
 */
export const verificationCodeToSend = (code: string): string => {
  const trimmed = code.trim()
  const digits = trimmed.replace(/[ -]/g, "")
  // Six digits once the spaces and hyphens are gone: the code was digits, spaces and hyphens only.
  return /^\d{6}$/.test(digits) ? digits : trimmed
}
