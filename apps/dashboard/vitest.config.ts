import { defineProject } from 'vitest/config';
import { takt } from '../../vitest.shared.js';

/**
 * Vitest 4 passes `resolve.conditions` on to Node as `--conditions`; the shared list's `import`
 * then makes `require()` pick ESM entries (express → router → is-promise breaks). Express needs
 * plain CJS resolution, so this project resolves with `@takt/source` and `node` only (vite adds
 * `import`/`require` per import kind by itself).
 */
const conditions = ['@takt/source', 'node'];
const base = takt('dashboard', { testTimeout: 60_000 });
export default defineProject({ ...base, resolve: { conditions }, ssr: { resolve: { conditions, externalConditions: ['@takt/source'] } } });
