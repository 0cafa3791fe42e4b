import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"
import { effect4Users, hasEnded, startedDirVariable, users } from "./test/support/build.js"

/**
 * Files that take long one step after another (their time is waiting, not CPU: a chain of CLI runs,
 * each waiting for the fake to approve a PIN; npm installs): started as soon as the build they wait for
 * can be ready, so that they run beside the others instead of alone at the end of the run. On a fresh
 * clone vitest knows no durations and orders by size, which put bin/docs.test.ts (21 CLI runs of the
 * docs' shell examples, in seven chains side by side) last.
 */
const longChains = ["test/bin/docs.test.ts", "test/install-lines.test.ts"]

const is = (spec: TestSpecification, file: string) => spec.moduleId.split("\\").join("/").endsWith(file)

/**
 * Vitest's order (failed first, then slowest first; on a fresh clone, largest first), except that the
 * files that wait for a shared package build (test/support/build.ts `users`, `effect4Users`) go after the first
 * dozen others (while the build runs, every worker has files to run instead of waiting for it), the
 * long chains first among them; when the build (started before vitest by `npm test`) has already ended,
 * the long chains first of all.
 */
class BuildUsersLaterSequencer extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    const waits = (spec: TestSpecification) => [...users, ...effect4Users].some((user) => is(spec, user))
    const others = sorted.filter((spec) => !waits(spec))
    const first = others.slice(0, 12)
    const chains = longChains.flatMap((file) => sorted.filter((spec) => is(spec, file)))
    const rest = sorted.filter((spec) => !first.includes(spec) && !chains.includes(spec))
    // Under `npm test` the build started before vitest (scripts/test.mjs): once it has ended, nothing waits.
    const given = process.env[startedDirVariable] ?? ""
    return given !== "" && hasEnded(given) ? [...chains, ...first, ...rest] : [...first, ...chains, ...rest]
  }
}

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^effect-plex-auth$/, replacement: src("index.ts") },
      { find: /^effect-plex-auth\/testing$/, replacement: src("testing/index.ts") },
      { find: /^effect-plex-auth\/node$/, replacement: src("node/index.ts") },
      { find: /^effect-plex-auth\/fake$/, replacement: src("fake/index.ts") },
      { find: /^effect-plex-auth\/fake\/node$/, replacement: src("fake/node.ts") },
      { find: /^effect-plex-auth\/([A-Z]\w*)$/, replacement: src("$1.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The PIN logins and WebSignIn read PLEX_AUTH_APP_URL when given no authAppUrl (the page their link opens), and
    // `plex-auth fake-server` prints it among the lines a shell may export: blank (unset) here, so that a
    // developer's exported value changes no test's link (the tests that want it provide a ConfigProvider).
    env: { PLEX_AUTH_APP_URL: "" },
    sequence: { sequencer: BuildUsersLaterSequencer },
    // The files share their worker's modules (Effect, the library, the fakes are loaded once per worker,
    // not once per file): no test file changes a module's state or a global it does not put back, and
    // every test builds its own layers. Vitest's default (isolate: true) spent more time loading the
    // same modules again for each of the 70 files than running their tests.
    isolate: false,
    // At least two workers, even on two cores: many files mostly wait for child processes (the CLI, npm,
    // tsc), and another file runs meanwhile. Vitest's default is one worker per core less one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    // Also bounds @effect/vitest's interruption of a test's fiber when the test ends (an onTestFinished hook):
    // a fiber that cannot be interrupted (an uninterruptible wait) fails the test "Hook timed out" after 20 s.
    hookTimeout: 20_000,
    // Vitest's default, written out: once the run has ended, the workers get this long to stop, and a main
    // process that something (a leaked server, an interval) keeps alive exits after it with the run's result
    // ("close timed out"). It cannot end a main process whose thread is busy (its timer never fires): a failure
    // that vitest spun printing (test/support/it.ts `reportable`) is fixed where it came from.
    teardownTimeout: 10_000,
    // Worker threads rather than child processes: the same work for about a sixth less CPU (measured:
    // the 80 files other than the packaging, CLI-spawn, browser and secrets ones, 59.7 s against 71.2 s
    // user + sys, same machine). The one test that changes the process's umask (a process-wide setting a
    // worker thread may not change) runs that part in a plain Node child process of its own
    // (test/node/KeyValueStore.test.ts, fixtures/umask-child.ts), not in a vitest child-process worker,
    // which loaded vitest, Effect and the library anew for it (3.6 against 0.6 CPU-s).
    pool: "threads",
    // chai's deep equality (assert.deepStrictEqual and the rest) made able to tell Effect values and errors
    // apart: deep-eql alone compared Option.none() equal to Option.some(1) (test/support/deepEquality.ts).
    setupFiles: ["test/setup.ts"],
    // One build and one packed tarball for the files that need them (test/support/packed.ts).
    globalSetup: ["test/globalSetup.ts"]
  }
})
