/**
 * The settings a `Config` of the library reads, checked as the layer reading them checks them: each edition's
 * `config` fails with a `ConfigError` at the variable at fault (its `internal/validate.ts` `checkedConfig`), its
 * `layerConfig()` with `InvalidInput` naming it; both give the same reason, never the value (a URL may carry
 * credentials or a token in its query).
 */
import { type ClientIdentityInput, type HeaderField, buildIdentity, variables } from "./identity.js"
import { hostUrl, plexTvVariable } from "./jwt.js"
import { withoutApiV2 } from "./urls.js"
import { headerProblem, httpUrl } from "./validate.js"

/** A setting as its layer uses it, or the variable at fault and why. */
export type Checked<A> = { readonly value: A } | { readonly field: string; readonly problem: string }

/**
 * A plex.tv base URL read from `PLEX_TV_URL`, checked as `PlexTv.make` checks one (`validate.ts` `httpUrl`): the URL
 * `PlexTv.layerConfig()` uses (without `/api/v2`), or the variable and why.
 */
export const plexTvUrl = (url: string): Checked<string> => {
  const checked = httpUrl(url)
  return "url" in checked
    ? { value: withoutApiV2(checked.url) }
    : { field: plexTvVariable, problem: checked.problem }
}

/**
 * An identity read from `identity.ts`'s `variables`, checked as `ClientIdentity.make` checks one (`buildIdentity`,
 * without the runtime's defaults, which the layer adds): the fields as the layer uses them (spaces around a value
 * dropped), or the variable at fault and why.
 */
export const identity = (input: ClientIdentityInput): Checked<ClientIdentityInput> => {
  const built = buildIdentity({ ...input, runtimeDefaults: false })
  return built._tag === "Built"
    ? { value: built.fields }
    : { field: variables[built.field as HeaderField] ?? built.field, problem: built.problem }
}

/**
 * The JWT host `jwt.ts`'s `configuredHost` found, checked as `Jwt.layerHost` checks a host (`validate.ts` `httpUrl`):
 * the URL the JWT calls go to (`jwt.ts`'s `hostUrl`: without `/api/v2`), or the variable at fault and why (never the
 * value). `Jwt.hostConfig` (its `ConfigError`, at the variable) and `Jwt.layerHostConfig()` (its `InvalidInput`,
 * naming the variable) say the same.
 */
export const jwtHost = (host: {
  readonly url: string
  readonly variable: string | undefined
}): Checked<string> => {
  const checked = httpUrl(host.url)
  return "url" in checked
    ? { value: hostUrl(checked.url) }
    : { field: host.variable ?? "host", problem: checked.problem }
}

/**
 * Why `ClientIdentity.makePersisted` cannot send the client identifier kept under `key` (made by hand or by another
 * program: what `ClientIdentity.make` would refuse in it, `validate.ts` `headerProblem`), or undefined. The caller
 * gave none, so the reason says where it came from and what to do, never the value. It is not replaced behind the
 * caller's back: Plex knows the app by it.
 */
export const storedIdentifierProblem = (identifier: string, key: string): string | undefined => {
  const problem = headerProblem(identifier)
  return problem === undefined
    ? undefined
    : `${problem} (the one kept under the store's key ${JSON.stringify(key)}: correct it there, or remove it to have a new one made, which Plex takes for a new device)`
}
