/**
 * Starts building and packing each edition's package once for the whole run
 * (see test/support/packed.ts), when the run includes a file that uses it: a
 * run of other files (`vitest run test/Schemas.test.ts`) does not pay for it.
 * The tests start at once: the files that need the build wait for it, the
 * others run meanwhile. Under `npm test` the build is already under way
 * (scripts/test.mjs starts it beside the static checks, see
 * `startedDirVariable`): the setup hands that one on.
 */
import type { TestProject } from "vitest/node"
import { effect4Users, remove, start, startedDirVariable, users } from "./support/build.js"

/** The file filters on the command line (`vitest run a b` gives a and b); none: every file runs. */
const filters = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const start = argv.findIndex((arg) => /^(run|watch|dev|related)$/.test(arg))
  return argv.slice(start === -1 ? 2 : start + 1).filter((arg) => !arg.startsWith("-"))
}

export default async function setup(project: TestProject) {
  const wanted = filters(process.argv)
  const included = (files: ReadonlyArray<string>) =>
    wanted.length === 0 ||
    files.some((file) => wanted.some((filter) => file.includes(filter) || filter.endsWith(file)))
  const editions = ([3, 4] as const).filter((edition) => included(edition === 3 ? users : effect4Users))
  if (editions.length === 0) return
  // Already started (by scripts/test.mjs, beside the static checks, both editions): its starter removes it.
  const given = process.env[startedDirVariable]
  if (given !== undefined && given !== "") {
    project.provide("packedDir", given)
    return
  }
  const started = await start(editions)
  project.provide("packedDir", started.dir)
  const done = started.done.then((made) => {
    const timings = made.flatMap((packed) => packed?.timings ?? [])
    if (timings.length > 0) console.log(`shared package builds: ${timings.join(", ")}`)
  })
  return async () => {
    await done
    await remove(started)
  }
}
