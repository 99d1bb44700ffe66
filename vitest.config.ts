import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Oracle tests run OTP's crashdump_viewer; two cores do not like many of them at once.
    maxWorkers: 2,
  },
});
