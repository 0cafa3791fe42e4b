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
    ignores: ["src/node/**", "src/bin/**"],
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
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["effect", "effect/*", "@effect/*", "node:*"],
              message:
                "src/core is the Effect-free protocol core both editions share: no Effect, no Node built-ins."
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
              group: ["@effect/*"],
              message: "The Effect 4 edition uses only `effect` (HTTP at effect/http)."
            }
          ]
        }
      ]
    }
  }
)
