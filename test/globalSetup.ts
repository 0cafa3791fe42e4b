/**
 * Starts building and packing the package once for the whole run (see
 * test/support/packed.ts), when the run includes a file that uses it: a run
 * of other files (`vitest run test/Schemas.test.ts`) does not pay for it.
 * The tests start at once: the files that need the build wait for it, the
 * others run meanwhile. Under `npm test` the build is already under way
 * (scripts/test.mjs starts it beside the static checks, see
 * `startedDirVariable`): the setup hands that one on.
 */
import type { TestProject } from "vitest/node"
import { remove, start, startedDirVariable, users } from "./support/build.js"

/** The file filters on the command line (`vitest run a b` gives a and b); none: every file runs. */
const filters = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const start = argv.findIndex((arg) => /^(run|watch|dev|related)$/.test(arg))
  return argv.slice(start === -1 ? 2 : start + 1).filter((arg) => !arg.startsWith("-"))
}

export default async function setup(project: TestProject) {
  const wanted = filters(process.argv)
  if (
    wanted.length > 0 &&
    !users.some((file) => wanted.some((filter) => file.includes(filter) || filter.endsWith(file)))
  )
    return
  // Already started (by scripts/test.mjs, beside the static checks): its starter removes it.
  const given = process.env[startedDirVariable]
  if (given !== undefined && given !== "") {
    project.provide("packedDir", given)
    return
  }
  const started = await start()
  project.provide("packedDir", started.dir)
  const done = started.done.then((made) => {
    if (made !== undefined) console.log(`shared package build: ${made.timings.join(", ")}`)
  })
  return async () => {
    await done
    await remove(started)
  }
}
