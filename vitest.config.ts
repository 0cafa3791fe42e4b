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
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
