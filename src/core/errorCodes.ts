/**
 * Plex's error bodies: the `errors` array plex.tv and a server send with a
 * refusal (`{"errors":[{"code":1001,"message":"User could not be
 * authenticated","status":401}]}`), read as leniently as payloads: a code
 * sent as `"1029"` or a null message must not hide the two-factor prompt.
 * Plain functions, shared by both editions.
 *
 * @internal
 */
import { isJson } from "./policy.js"

/** One entry of a Plex error body, as read. */
export interface ErrorEntry {
  readonly code?: number | undefined
  readonly message?: string | undefined
  readonly status?: number | undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** A number, also sent as a numeric string or a boolean; otherwise absent. */
const num = (u: unknown): number | undefined => {
  const n = typeof u === "boolean" ? +u : typeof u === "string" && u.trim() !== "" ? Number(u) : u
  return typeof n === "number" && Number.isFinite(n) ? n : undefined
}

/** A string, also sent as a number; otherwise absent. */
const str = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" && Number.isFinite(u) ? `${u}` : undefined

/**
 * The error entries of a body: none unless it is JSON (by `contentType`)
 * with an `errors` array (a single object counts as one entry); entries that
 * are not objects are dropped, fields of another shape are absent.
 */
export const errorEntries = (contentType: string | undefined, text: string): ReadonlyArray<ErrorEntry> => {
  if (!isJson(contentType)) return []
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return []
  }
  if (!isRecord(body)) return []
  const raw = body["errors"]
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : []
  return list.filter(isRecord).map((e) => {
    const entry: { code?: number; message?: string; status?: number } = {}
    const code = num(e["code"])
    const message = str(e["message"])
    const status = num(e["status"])
    if (code !== undefined) entry.code = code
    if (message !== undefined) entry.message = message
    if (status !== undefined) entry.status = status
    return entry
  })
}
