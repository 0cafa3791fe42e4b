/**
 * Plex's error codes and messages as the tail of an error message, e.g.
 * ` (1001 User could not be authenticated)`; empty when there are none.
 *
 * @internal
 */
export const describeCodes = (
  errors: ReadonlyArray<{ readonly code?: number | undefined; readonly message?: string | undefined }>
): string => {
  const text = errors
    .map((e) => [e.code, e.message].filter((p) => p !== undefined).join(" "))
    .filter((p) => p)
    .join("; ")
  return text ? ` (${text})` : ""
}
