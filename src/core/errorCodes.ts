/**
 * Plex's error bodies: the `errors` array plex.tv and a server send with a
 * refusal (`{"errors":[{"code":1001,"message":"User could not be
 * authenticated","status":401}]}`), read as leniently as payloads: a code
 * sent as `"1029"` or a null message must not hide the two-factor prompt.
 * Plain functions, shared by both editions.
 *
 * @internal
 */
import { decodeNum, decodeStr, Failure, isRecord, listOf } from "./decode.js"
import { isJson } from "./policy.js"

/** One entry of a Plex error body, as read. */
export interface ErrorEntry {
  readonly code?: number | undefined
  readonly message?: string | undefined
  readonly status?: number | undefined
}

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
  return listOf(body["errors"])
    .filter(isRecord)
    .map((e) => {
      const entry: { code?: number; message?: string; status?: number } = {}
      const code = decodeNum(e["code"])
      const message = decodeStr(e["message"])
      const status = decodeNum(e["status"])
      if (!(code instanceof Failure)) entry.code = code
      if (!(message instanceof Failure)) entry.message = message
      if (!(status instanceof Failure)) entry.status = status
      return entry
    })
}
