import tseslint from "typescript-eslint"

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "**/node_modules/**",
      "docs/api/**",
      "apidocs/**",
      "coverage/**",
      "**/.tmp/**",
      "effect4/dist/**",
      "tools/**"
    ]
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // No rule here reads JSDoc (no type-aware rule, no JSDoc plugin): the parser skips building
        // TypeScript's JSDoc nodes (comments are still seen, e.g. by ban-ts-comment). The project's many
        // JSDoc comments made that a part of every file's parse.
        jsDocParsingMode: "none"
      }
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off"
    }
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/node/**", "src/bin/**", "src/core/node/**", "src/fake/node.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "effect",
              message: "Import from subpaths (effect/Effect, ...) inside src/ so bundlers drop the rest."
            },
            {
              name: "@effect/platform",
              message: "Import from subpaths (@effect/platform/HttpClient, ...) inside src/."
            }
          ],
          patterns: [
            { group: ["node:*"], message: "Browser-safe entry points must not import Node built-ins." },
            {
              group: ["**/core/node/*"],
              message: "src/core/node is Node-only: only Node entry points use it."
            },
            {
              group: ["@effect/platform-node", "@effect/platform-node/*", "@effect/cli", "@effect/cli/*"],
              message: "Only the CLI and the Node entry may use these."
            }
          ]
        }
      ]
    }
  },
  {
    // The protocol core is shared by the Effect 3 and Effect 4 editions: plain TypeScript only.
    files: ["src/core/**/*.ts"],
    ignores: ["src/core/node/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["effect", "effect/*", "@effect/*", "node:*"],
              message:
                "src/core is the Effect-free protocol core both editions share: no Effect, no Node built-ins."
            },
            {
              group: ["**/node/*"],
              message: "src/core/node is Node-only: the browser-safe core never uses it."
            }
          ]
        }
      ]
    }
  },
  {
    // The Effect-free fake entries (`/fake` and `/fake/node`) and the Node-only core both editions share
    // (src/core/node: the file store, the loopback server): Node built-ins allowed there, no Effect.
    files: ["src/core/node/**/*.ts", "src/fake/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["effect", "effect/*", "@effect/*"],
              message:
                "src/core/node and src/fake are Effect-free (shared by both editions and by users without Effect)."
            }
          ]
        }
      ]
    }
  },
  {
    // `effect-plex-auth/fake` is browser-safe: no Node built-ins, nor the Node-only core.
    files: ["src/fake/index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["effect", "effect/*", "@effect/*"], message: "effect-plex-auth/fake is Effect-free." },
            {
              group: ["node:*", "**/core/node/*", "./node.js"],
              message: "effect-plex-auth/fake is browser-safe."
            }
          ]
        }
      ]
    }
  },
  {
    files: ["effect4/src/**/*.ts"],
    ignores: ["effect4/src/node/**", "effect4/src/bin/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "effect", message: "Import from subpaths (effect/Effect, effect/http/HttpClient, ...)." }
          ],
          patterns: [
            { group: ["node:*"], message: "Browser-safe entry points must not import Node built-ins." },
            {
              group: ["**/core/node/*"],
              message: "src/core/node is Node-only: only Node entry points use it."
            },
            {
              group: ["@effect/*"],
              message: "The Effect 4 edition uses only `effect` (HTTP at effect/http)."
            }
          ]
        }
      ]
    }
  }
)
