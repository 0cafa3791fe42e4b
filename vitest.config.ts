import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^effect-plex-auth$/, replacement: src("index.ts") },
      { find: /^effect-plex-auth\/testing$/, replacement: src("testing/index.ts") },
      { find: /^effect-plex-auth\/node$/, replacement: src("node/index.ts") },
      { find: /^effect-plex-auth\/([A-Z]\w*)$/, replacement: src("$1.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    // One build and one packed tarball for the files that need them (test/support/packed.ts).
    globalSetup: ["test/globalSetup.ts"],
    // The files share their worker's modules (Effect, the library, the fakes are loaded once per worker,
    // not once per file): no test file changes a module's state or a global it does not put back, and
    // every test builds its own layers. Vitest's default (isolate: true) spent more time loading the
    // same modules again for each of the 70 files than running their tests.
    isolate: false,
    // At least two workers, even on two cores: many files mostly wait for child processes (the CLI, npm,
    // tsc), and another file runs meanwhile. Vitest's default is one worker per core less one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
