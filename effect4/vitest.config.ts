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
    // As in the root config: the files share their worker's modules (Effect, the library, the fake are loaded once
    // per worker, not once per file); no test file changes a module's state or a global it does not put back.
    isolate: false,
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
