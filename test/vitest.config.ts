import { defineProject } from 'vitest/config';
import { takt } from '../vitest.shared.js';

export default defineProject(
  takt('e2e', { include: ['e2e/**/*.spec.ts', 'workspace/**/*.spec.ts'], testTimeout: 300_000 }),
);
