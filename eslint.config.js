// ESLint flat config: typescript-eslint's type-aware rules over every TypeScript file the test
// build compiles (tsconfig.test.json: src, test, bench, demo). `npm run lint` runs it.
// recommendedTypeChecked is on in full; each rule below that it lacks or that is tuned says why.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The examples import the packed package by name; the testing-kit test type-checks them in a project of their own.
  { ignores: ['node_modules/', 'dist/', '.build/', 'bench/results/', 'examples/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: ['tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's top-level test()/describe() return a promise the runner itself tracks;
      // every other promise must be awaited, handled, or voided on purpose.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      // The allowance above also matches TestContext's `t.test()` (same name, same module), so
      // an unawaited subtest is reported here instead.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ExpressionStatement > CallExpression[callee.type='MemberExpression'][callee.property.name='test']",
          message: 'Await the subtest (t.test returns a promise the parent test must wait for).',
        },
      ],
      // Not in recommendedTypeChecked: a `return promise` inside try/catch/finally skips the
      // catch and runs the finally too early. Outside one, `return await` is reported as noise.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Not in recommendedTypeChecked: a switch over a union (session states, event kinds)
      // must name every member or have a default, so a new member is not silently ignored.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // Forwarding an AbortSignal's `reason` (typed `any`) or a caught `unknown` is a rethrow, as
      // STYLE.md asks ("rejects with signal.reason"); only-throw-error allows the same by default.
      // A new rejection with a literal non-Error is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // Promise.all over optional promises (`sessions.map((s) => s?.close())`, a child's
      // `exited` that is unset if it never started) waits for those that exist; an array holding
      // no promise at all is still reported.
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],
      // An intentionally unused binding is spelled with a leading underscore.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // The two adapters that reach into node-zookeeper-client's untyped internals (its connection
    // manager, jute records and response objects). Everything they hand on is typed; inside
    // them, `any` is what the library is.
    files: ['src/zk/client-internals.ts', 'src/zk/requests.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The config file itself is plain JavaScript outside tsconfig.test.json.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
