import type { UserWorkspaceConfig } from 'vitest/config';

/**
 * The one Vitest setup every project shares: node environment, sources resolved through the
 * `@takt/source` export condition (so tests never need a build), specs beside the code.
 */
export function takt(name: string, overrides: UserWorkspaceConfig['test'] = {}): UserWorkspaceConfig {
  return {
    resolve: { conditions: ['@takt/source', 'node'] },
    ssr: { resolve: { conditions: ['@takt/source', 'node'], externalConditions: ['@takt/source'] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.spec.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  };
}
