/**
 * How the library reads its optional variables.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Option from "effect/Option"
import { optionalValue } from "../core/validate.js"

/**
 * One of the library's optional variables: its value, or `undefined` when it is unset, empty or blank
 * (`core/validate.ts` `optionalValue`), so that its default applies.
 */
export const optional = (key: string): Config.Config<string | undefined> =>
  Config.map(Config.option(Config.string(key)), (value) => optionalValue(Option.getOrUndefined(value)))
