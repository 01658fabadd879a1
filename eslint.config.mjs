import nx from '@nx/eslint-plugin';

/**
 * Module boundaries. Scopes: edge code, cloud code and plant simulators each use only themselves
 * and shared libraries; shared libraries use only shared libraries. Apps are never imported.
 * TensorFlow.js belongs to the cloud alone: the edge runs ONNX.
 */
const noTensorflow = ['@tensorflow/*'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: [
      '**/dist',
      '**/out-tsc',
      '**/node_modules',
      '**/vitest.config.*.timestamp*',
      '.takt/**',
      'apps/dashboard/public/vendor/**',
    ],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/vitest\\.shared(\\.js)?$'],
          depConstraints: [
            {
              sourceTag: 'scope:shared',
              onlyDependOnLibsWithTags: ['scope:shared'],
              bannedExternalImports: noTensorflow,
            },
            {
              sourceTag: 'scope:edge',
              onlyDependOnLibsWithTags: ['scope:edge', 'scope:shared'],
              bannedExternalImports: noTensorflow,
            },
            {
              sourceTag: 'scope:plant',
              onlyDependOnLibsWithTags: ['scope:plant', 'scope:shared'],
              bannedExternalImports: noTensorflow,
            },
            { sourceTag: 'scope:cloud', onlyDependOnLibsWithTags: ['scope:cloud', 'scope:shared'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  {
    files: ['**/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'test/**', 'bench/**', '**/main.ts', '**/cli.ts', '**/cli/**'],
    rules: { 'no-console': 'error' },
  },
];
