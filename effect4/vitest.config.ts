import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))
/** The Effect-free modules both editions share (the root package's src/). */
const shared = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^effect4-plex-auth$/, replacement: src("index.ts") },
      { find: /^effect4-plex-auth\/testing$/, replacement: src("testing/index.ts") },
      { find: /^effect4-plex-auth\/node$/, replacement: src("node/index.ts") },
      { find: /^effect4-plex-auth\/fake$/, replacement: shared("fake/index.ts") },
      { find: /^effect4-plex-auth\/fake\/node$/, replacement: shared("fake/node.ts") },
      { find: /^effect4-plex-auth\/([A-Z]\w*)$/, replacement: src("$1.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The PIN logins and WebSignIn read PLEX_AUTH_APP_URL when given no authAppUrl (the page their link opens), and
    // `plex-auth fake-server` prints it among the lines a shell may export: blank (unset) here, so that a
    // developer's exported value changes no test's link (the tests that want it provide a ConfigProvider).
    env: { PLEX_AUTH_APP_URL: "" },
    // As in the Effect 3 edition's config: the files share their worker's modules (Effect 4, the
    // library, the fakes are loaded once per worker, not once per file). No test file changes a
    // module's state or a global it does not put back, and every test builds its own layers. With
    // vitest's default (isolate: true) the suite took 2.6 times the CPU (67 s against 26 s, user + sys,
    // same machine), most of it loading the same modules again for each of the 36 files.
    isolate: false,
    testTimeout: 20_000,
    // Also bounds the wait @effect/vitest adds (an onTestFinished hook) for a timed-out test's finalizers: one
    // that never ends (an uninterruptible wait) fails the test "Hook timed out" after 20 s, not the run.
    hookTimeout: 20_000,
    // Vitest's default, written out: once the run has ended, the workers get this long to stop, and a main
    // process that something (a leaked server, an interval) keeps alive exits after it with the run's result
    // ("close timed out"). It cannot end a main process whose thread is busy (its timer never fires): a failure
    // that vitest spun printing (test/support/it.ts `reportable`) is fixed where it came from.
    teardownTimeout: 10_000,
    // Worker threads rather than child processes, as in the Effect 3 edition's config: the suite took a
    // ninth less CPU (33.7 s against 37.8 s, user + sys, same machine, without the umask test). The one
    // test that changes the process's umask (a process-wide setting a worker thread may not change) runs
    // that part in a plain Node child process (test/node/KeyValueStore.test.ts, fixtures/umask-child.ts),
    // not its whole file in a vitest child-process worker, which loaded vitest, Effect and the library anew.
    pool: "threads",
    // chai's deep equality (assert.deepStrictEqual and the rest) made able to tell Effect values and errors
    // apart: deep-eql alone compared Option.none() equal to Option.some(1) (../test/support/deepEquality.ts).
    setupFiles: ["test/setup.ts"]
  }
})
