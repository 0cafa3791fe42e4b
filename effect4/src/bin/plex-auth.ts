/**
 * `plex-auth` on the Effect 4 edition: sign in to Plex from a terminal, keep
 * the token, and get tokens for servers. See docs/cli.md.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { main } from "./internal/cli.js"

const fiber = Effect.runFork(main(process.argv.slice(2)))

// Ctrl-C and SIGTERM interrupt the command (its finalizers close the fake, release the store's lock).
const interrupt = () => fiber.interruptUnsafe()
process.once("SIGINT", interrupt)
process.once("SIGTERM", interrupt)

fiber.addObserver((exit) => {
  const code = Exit.isSuccess(exit) ? exit.value : 130
  // Let stdout drain, then exit even if stdin is still open.
  process.stdout.write("", () => process.exit(code))
})
