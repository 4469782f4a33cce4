// Flat ESLint config: typescript-eslint recommended rules plus the module boundaries of the
// workspace (Nx tags type:app|lib): apps may import libs, never another app; libs never import apps.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const apps = ['acme-api', 'scep-api', 'wcce-worker', 'adcs-sim'];
const appImports = apps.map((a) => `@enrollgate/${a}`);

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.enrollgate/**', '.nx/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // protocol code matches NULs and control bytes on purpose
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': 'allow-with-description', minimumDescriptionLength: 10 }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...appImports, '**/apps/**'], message: 'libs never import apps' }] }],
    },
  },
  ...apps.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: appImports.filter((a) => a !== `@enrollgate/${app}`), message: 'apps never import other apps; move shared code to a lib' },
            { group: apps.filter((a) => a !== app).map((a) => `**/${a}/**`), message: 'apps never import other apps' },
            { group: ['**/libs/*/src/**', '**/libs/*/dist/**'], message: 'import libs by package name (@enrollgate/…)' },
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.cjs', 'scripts/**/*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable' } },
  },
);
