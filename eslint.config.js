import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "docs/api/**", "coverage/**", ".tmp/**"] },
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
  }
)
