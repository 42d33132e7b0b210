// One lint setup for the main process, CLI, benches and tests (TypeScript), and the renderer's TS files.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The import rule (ARCHITECTURE.md), one regex per layer over the import specifier. Exported so that
// scripts/check-svelte-imports.js applies the renderer's rule to .svelte files, which eslint skips here.
export const importRules = {
  /** The renderer imports from main/ only the contract and common (pure, browser-safe) code. */
  renderer: {
    regex: String.raw`(^|/)main/(?!contracts/|common/)`,
    message: 'The renderer imports only main/contracts/ and main/common/ (move shared pure code to main/common/).',
  },
  /** The service layer (and its use cases) knows no transport. */
  servicesTransport: {
    regex: String.raw`^(\.\./)+(host|electron)/`,
    message: 'Services import no transport (main/host/, main/electron/): the transports call the services.',
  },
  /** Use cases (embed, train, apply, export) are what the CLI and the services call: they import neither. */
  usecases: {
    regex: String.raw`^(\.\./)+(services|host|electron|cli)/`,
    message: 'Use cases import no services, transports or CLI code: those call the use cases (main/usecases/).',
  },
  /** Format drivers are leaves: slide/ modules, common/ and libraries only. */
  formats: {
    regex: String.raw`^\.\./\.\./(?!slide/|common/)`,
    message: 'Format drivers import only main/slide/** (non-format modules), main/common/** and libraries.',
  },
  /** Probes train and apply on embeddings they are given; the encoder and exports are wired in by services. */
  probe: {
    regex: String.raw`^(\.\./)+(encoder|export)/`,
    message: 'probe/ imports no encoder or export code (types are fine); wire them in from main/services/.',
  },
};

const transportModules = ['electron', 'ws', 'http', 'node:http', 'https', 'node:https', 'http2', 'node:http2'];
const restrict = (patterns, paths = []) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }],
});
// Tests and test fixtures may reach across layers (they wire real pieces together); the rule is about product code.
const testFiles = ['**/*.test.ts', '**/testing/**'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'app/dist/', 'release/', 'test-output/', 'bench-output/', '**/*.svelte'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['renderer/**/*.ts'],
    rules: restrict([importRules.renderer]),
  },
  {
    files: ['main/services/**/*.ts'],
    rules: restrict(
      [importRules.servicesTransport],
      transportModules.map((name) => ({ name, message: importRules.servicesTransport.message })),
    ),
  },
  {
    files: ['main/usecases/**/*.ts'],
    ignores: testFiles,
    rules: restrict(
      [importRules.usecases],
      transportModules.map((name) => ({ name, message: importRules.usecases.message })),
    ),
  },
  {
    files: ['main/slide/formats/**/*.ts'],
    ignores: testFiles,
    rules: restrict([importRules.formats]),
  },
  {
    files: ['main/probe/**/*.ts'],
    ignores: testFiles,
    rules: restrict([{ ...importRules.probe, allowTypeImports: true }]),
  },
);
