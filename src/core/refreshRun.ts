/**
 * The pieces of the one token-refresh mechanism that only its running part (each edition's `internal/refresh.ts`
 * `make`) uses: what it logs when a refresh a reader waited for gave no new token. In a module of its own, beside
 * `core/refresh.ts`, so that the request path's bundles, which take only the refused call's pieces of that module,
 * carry none of it (a new export there renames their minified symbols: a byte or more each, measured).
 *
 * @internal
 */
import { errorWord } from "./refresh.js"

/**
 * The warning of a refresh that gave no new token when a reader of the token waited for it: of the expired token
 * (`expired`: it is tried again after the cooldown, and requests with the expired one are refused until then), else
 * of one ahead of expiry (the current token is kept). `name` is what the token is called (`"token"` when not said);
 * `cause` is what `obtain` failed with, said as a word (`core/refresh.ts` `errorWord`), never its message.
 */
export const failedWarning = (expired: boolean, name: string | undefined, cause: unknown): string =>
  expired
    ? `refreshing the expired ${name ?? "token"} failed (${errorWord(cause)}); it is tried again after the cooldown, and requests with the expired one are refused until then`
    : `refreshing the ${name ?? "token"} failed (${errorWord(cause)}); keeping the current one`
