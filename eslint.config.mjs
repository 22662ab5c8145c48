import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

/**
 * The layering, as import rules. Arrows run one way:
 *   index.ts, components/  ->  providers/ (its index only), rules/, contract/
 *   rehearsal/             ->  providers/ (its index only), rules/, contract/, local/standins
 *   providers/             ->  rules/, contract/
 *   rules/                 ->  contract/
 * Nothing below imports the program (index.ts, components/) or the rehearsal. Tests beside the code
 * may reach into the layer they test, so these rules hold for the code itself.
 */
const PROGRAM = [
  {
    group: ["**/components", "**/components/**"],
    message: "components/ is the program: nothing below it imports it.",
  },
  { regex: "^(\\.\\./)+index$", message: "index.ts is the program: nothing below it imports it." },
];
const REHEARSAL = [
  {
    group: ["**/rehearsal", "**/rehearsal/**"],
    message: "rehearsal/ is a user command: nothing imports it.",
  },
];
const LOCAL = [
  {
    group: ["**/local/**"],
    message: "local/ is test and rehearsal infrastructure: product code never imports it.",
  },
];
const PROVIDER_INTERNALS = [
  {
    group: ["**/providers/*", "**/providers/*/**"],
    message: "Import the providers' public face (providers/index.ts), not their internals.",
  },
];
const PROVIDERS = [
  { group: ["**/providers", "**/providers/**"], message: "rules/ and contract/ sit below the providers." },
];
const POLICIES = [
  { group: ["**/policies", "**/policies/**"], message: "The policy pack is a package of its own." },
];

const layer = (files, patterns) => ({
  files,
  ignores: ["**/*.test.ts"],
  rules: { "no-restricted-imports": ["error", { patterns }] },
});

// Under CommonJS a local `exports` hides the module's exports object, and with it every
// exported constant the function reads.
const COMMONJS_NAMES = {
  selector: "VariableDeclarator[id.name=/^(exports|module|require)$/]",
  message: "Name it otherwise: CommonJS gives this name to the module itself.",
};

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "policies/node_modules/**",
      "bin/**",
      "**/*.js",
      "**/*.mjs",
      "local/.state*/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
      "no-restricted-syntax": ["error", COMMONJS_NAMES],
    },
  },
  {
    // Dynamic providers are serialized by Pulumi's closure serializer, which captures a module-level
    // Set or Map as a plain object: `.has` then fails inside the provider, never in a unit test.
    files: ["providers/**/*.ts", "rules/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        COMMONJS_NAMES,
        {
          selector:
            ":matches(Program, ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Set|Map|WeakSet|WeakMap)$/]",
          message:
            "A module-level Set or Map reaches a dynamic provider as a plain object: use an array, or build it inside the function.",
        },
      ],
    },
  },
  layer(["index.ts", "components/**/*.ts"], [...REHEARSAL, ...LOCAL, ...PROVIDER_INTERNALS, ...POLICIES]),
  layer(["rehearsal/**/*.ts"], [...PROGRAM, ...PROVIDER_INTERNALS, ...POLICIES]),
  layer(["local/**/*.ts"], [...PROGRAM, ...REHEARSAL, ...PROVIDER_INTERNALS, ...POLICIES]),
  layer(["providers/**/*.ts"], [...PROGRAM, ...REHEARSAL, ...LOCAL, ...POLICIES]),
  layer(
    ["rules/**/*.ts", "contract/**/*.ts"],
    [...PROGRAM, ...REHEARSAL, ...LOCAL, ...PROVIDERS, ...POLICIES],
  ),
  // The pack loads without the program: outside its own folder it imports nothing of ours.
  layer(
    ["policies/*.ts"],
    [
      {
        regex: "^\\.\\./",
        message: "The policy pack is a package of its own: keep its facts in policies/lib.",
      },
    ],
  ),
  layer(
    ["policies/lib/**/*.ts", "policies/rules/**/*.ts"],
    [
      {
        regex: "^\\.\\./\\.\\./",
        message: "The policy pack is a package of its own: keep its facts in policies/lib.",
      },
    ],
  ),
);
