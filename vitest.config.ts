import { defineConfig } from 'vitest/config';

// Three tiers, each runnable alone: `npm run test:unit`, `test:int`, `test:e2e`.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/**/*.unit.test.ts'] } },
      { test: { name: 'int', include: ['test/**/*.int.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: 'e2e', include: ['test/**/*.e2e.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 } },
    ],
  },
});
