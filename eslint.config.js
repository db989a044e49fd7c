// @ts-check
// `npm run lint`: ESLint with typescript-eslint's type-aware rules, an import-cycle rule and the layer rules.
// Formatting is Prettier's job (.prettierrc.json); no rule here is about layout.
//
// Why ESLint + Prettier rather than Biome (checked against Biome 2.6.8): Biome's promise and switch rules
// (noFloatingPromises, noMisusedPromises, useExhaustiveSwitchCases) are still in its nursery and run on Biome's
// own type inference, not on the TypeScript compiler, so they see less than typescript-eslint does through the
// project's tsconfig; and Biome has no layer rule: noRestrictedImports matches the import's text per file group,
// not the resolved file, so "nothing outside src/cli imports src/cli" would have to be spelled for every relative
// depth ('../cli/…', '../../cli/…'). A migration tool's worst bugs are a promise nobody awaited (a lock released
// before the step ended) and a layer leak (the library loading the CLI), so those two decide.
import fs from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const ROOT = import.meta.dirname;
/** What the scripts use of Node's globals (no `globals` package for six names). */
const NODE_GLOBALS = { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' };
const ENGINES = fs
  .readdirSync(path.join(ROOT, 'adapters'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

/** The entry layers above src/operations: the CLI, the library's facades and the shipped adapter suite. */
const ENTRY_LAYERS = ['src/cli', 'src/api', 'src/health', 'src/testing', 'src/report', 'src/index.ts', 'src/adapter-kit.ts', 'src/testing.ts'];

/** The core below src/operations. Listed rather than "everything else" so a new folder is placed here on purpose. */
const CORE = [
  'src/session.ts',
  'src/run',
  'src/plan',
  'src/status',
  'src/lock',
  'src/adapter',
  'src/db',
  'src/journal',
  'src/pooler',
  'src/discover',
  'src/config',
  'src/secrets',
  'src/create',
  'src/peers',
  'src/embedded',
  'src/errors.ts',
  'src/version.ts',
];

/**
 * The layers, from the top: src/cli → src/operations → src/session.ts / src/run / src/plan / src/status / src/lock
 * → src/adapter/contract.ts ← adapters/<engine>.
 *
 * Written as import-x `no-restricted-paths` zones rather than with eslint-plugin-boundaries: the rules are about
 * paths ("this folder never imports that one", "only this file imports adapters/"), which zones say literally and
 * check against the resolved file; import-x is here anyway for no-cycle, with the same resolver; and boundaries'
 * element types and capture patterns would be more configuration than the six rules they express.
 */
const LAYER_ZONES = [
  {
    // src/schema and src/shadow (being added) fall under this zone too: only the CLI imports the CLI.
    target: ['src/!(cli)/**', 'src/*.ts'],
    from: 'src/cli',
    message: 'Only src/cli imports src/cli: the library must work without the CLI (move what both need below src/operations).',
  },
  {
    target: 'src/operations',
    from: ENTRY_LAYERS,
    message: 'src/operations sits below the CLI and the library facades: it never imports them.',
  },
  {
    target: CORE,
    from: ['src/operations', ...ENTRY_LAYERS],
    message: 'The core (session, run, plan, status, lock, contract, db…) never imports the operations or the entry layers above it.',
  },
  {
    target: 'adapters',
    from: ['src/operations', 'src/session.ts', ...ENTRY_LAYERS],
    message: 'An adapter knows the contract and the core helpers, never the commands, the CLI or the library facades.',
  },
  // An engine's knowledge stays in its folder: no adapter imports another one's.
  ...ENGINES.map((engine) => ({
    target: `adapters/${engine}`,
    from: 'adapters',
    except: [`./${engine}`],
    message: `adapters/${engine} imports no other engine's folder: move what both need into src/ (db, discover, adapter).`,
  })),
  {
    // The core reaches the engines only through the registry's descriptors (each loads its adapter lazily, in
    // adapters/<engine>/descriptor.ts), and src/config/config-types.ts and define-config.ts, which take each
    // engine's config type from adapters/<engine>/config.ts (type-only imports).
    target: ['src/!(adapter|config)/**', 'src/*.ts', 'src/adapter/!(registry).ts', 'src/config/!(config-types|define-config).ts'],
    from: 'adapters',
    message: 'Only src/adapter/registry.ts imports adapters/ (engine descriptors): add the engine to the registry instead.',
  },
  {
    target: ['src/config/config-types.ts', 'src/config/define-config.ts'],
    from: 'adapters',
    except: ENGINES.map((engine) => `./${engine}/config.ts`),
    message: "src/config takes only each engine's config type (adapters/<engine>/config.ts).",
  },
];

export default tseslint.config(
  {
    // The example project (drizzle/, payload/, prisma/, examples/, polymigrate.config.ts) is what a user's repository
    // holds, partly written by the engines themselves; the Prisma oracle's config is Prisma's.
    ignores: ['dist/', 'coverage/', 'node_modules/', 'drizzle/', 'payload/', 'prisma/', 'examples/', 'polymigrate.config.ts', 'test/compat/prisma-oracle/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    rules: {
      // A `let` that closures read before its one assignment (createPolymigrate's events refer to the instance they
      // are created for) stays a `let`: as a `const` it would be in its temporal dead zone until then.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A binding named with a leading underscore is there to be left out (`const { databaseUrl: _live, ...rest }`
      // drops a key from a copy): the name says it is unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: ROOT },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Imports name the compiled '.js' file (NodeNext); the source beside it is '.ts'.
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      // A switch over a union (step outcomes, statement kinds, states) with no default must name every member, so a
      // member added later is a lint error where it is not handled. A default already decides the rest on purpose.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Off: the code guards values whose declared types are promises the runtime does not keep (a thrown
      // non-Error, options from JavaScript callers, pg versions without a method, a fixture a failed beforeAll left
      // unset); this rule asks to delete exactly those guards (33 findings, none a bug).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Off: `any` reaches the code on purpose in two places, JSON documents parsed in tests and Payload's untyped
      // runtime (adapters/payload/payload-runner.ts); these rules would flag every use of them (about 600 findings,
      // none a bug) rather than the places where a type was forgotten, which strict mode already reports.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Off: an `async` function without `await` is how an interface's Promise-returning method is implemented so
      // that a throw becomes a rejection (discover(), history(), a test double's query()).
      '@typescript-eslint/require-await': 'off',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: LAYER_ZONES }],
    },
  },
  {
    // A function a reader holds in one screen: about 60 lines in an editor beside a terminal. Blank and comment
    // lines do not count, so a comment that says why never pushes a function over. The shipped code meets it (the
    // longest, the SQL lexer's scan, has 54); tests and scripts are left out: a describe block and a benchmark are
    // lists of cases or measurements read one at a time, not logic to hold at once.
    files: ['src/**/*.ts', 'adapters/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Tests read the CLI's --json documents as `any`, so an assertion reads like the document it checks; and they
    // match what a terminal showed, whose colours and cursor moves start with ESC (a control character on purpose).
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off' },
  },
  // Scripts (benchmarks, the build, the demo) are plain Node.js without types: the rules that need them are off.
  { files: ['**/*.mjs', '**/*.cjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // The CommonJS probes are preloaded with `node --require`, so they are CommonJS on purpose.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
