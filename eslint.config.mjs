// Lint: typescript-eslint's recommended rules everywhere, and where Pulumi programs are written (the
// program and its components) type-aware rules plus @pulumi/eslint-plugin's, which catch an Output
// interpolated into a string without pulumi.interpolate.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  { ignores: ["node_modules/", ".build/", "bench/out/", "**/*.js", "**/*.mjs", "policy/bin/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      // A `let` read by a closure before its one assignment (start-up wiring) must stay a `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["index.ts", "components/**/*.ts", "baseline/**/*.ts", "examples/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
);
