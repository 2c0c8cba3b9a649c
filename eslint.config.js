// Lint for the whole monorepo: type-aware typescript-eslint plus the dependency boundaries
// from docs/architecture.md (libs never import services; contracts imports nothing of ours;
// a service's core/ imports no SDK).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SERVICES = ['@driftless/agent', '@driftless/audit', '@driftless/repo-watcher', '@driftless/cli'];
const SDKS = ['nats', '@nats-io/*', 'postgres', 'nodegit', '@kubernetes/client-node', 'fastify', '@fastify/*', 'node:fs', 'node:net', 'node:http', 'node:child_process'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', 'scripts/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use an `as const` object and a derived union type instead of enum.' }],
    },
  },
  {
    // Tests may use looser typing on parsed JSON bodies.
    files: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: SERVICES, message: 'libs never import services.' }] }],
    },
  },
  {
    files: ['libs/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@driftless/*'], message: 'libs/contracts imports nothing of ours.' }] }],
    },
  },
  {
    files: ['services/*/src/core/**/*.ts', 'libs/*/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: SDKS, message: 'core/ is pure: SDKs and I/O live in adapters/.' }] }],
    },
  },
);
