/**
 * How the library reads its optional variables.
 *
 * @internal
 */
import * as Config from "effect/Config"
import { optionalValue } from "../../../src/core/validate.js"

/**
 * One of the library's optional variables: its value, or `undefined` when it is unset, empty or blank
 * (`core/validate.ts` `optionalValue`), so that its default applies.
 */
export const optional = (key: string): Config.Config<string | undefined> =>
  Config.String(key).pipe(Config.withDefault(undefined), Config.map(optionalValue))
