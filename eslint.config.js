// One tool for lint and format: ESLint with typescript-eslint and @stylistic (`npm run format` fixes).
// (Biome was the first choice, but this registry does not serve its non-linux binaries, so `npm ci` failed.)
import js from "@eslint/js";
import stylistic from "@stylistic/eslint-plugin";
import tseslint from "typescript-eslint";

/** The deterministic layers: no clock, no randomness, no I/O (ARCHITECTURE.md, principles 1 and 3). */
const pureLayerRules = {
  "no-restricted-properties": [
    "error",
    { object: "Date", property: "now", message: "the state machine and consensus core read no clock" },
    { object: "Math", property: "random", message: "the state machine and consensus core use no randomness" },
  ],
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        { group: ["node:fs*", "node:net", "node:http*", "node:child_process", "level"], message: "no I/O in pure layers" },
        { group: ["**/node/**", "**/rpc/**", "**/p2p/**", "**/bin/**"], message: "imports point downward only" },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ["node_modules/", ".devnet/", "coverage/", "test-output/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  stylistic.configs.customize({ indent: 2, quotes: "double", semi: true, arrowParens: true, braceStyle: "1tbs" }),
  {
    rules: {
      "@stylistic/max-len": ["error", { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreComments: true }],
      "@stylistic/operator-linebreak": "off",
      "@stylistic/multiline-ternary": "off",
      "@stylistic/max-statements-per-line": ["error", { max: 2 }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  { files: ["state/**/*.ts", "consensus/**/*.ts"], ignores: ["state/store/**"], rules: pureLayerRules },
  // The explorer runs in the browser: tsc (explorer/tsconfig.json, DOM library) checks its names, not no-undef.
  { files: ["explorer/**/*.js"], rules: { "no-undef": "off" } },
);
