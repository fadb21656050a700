import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // RSA key generation and child processes make some tests slower than the default 5 s on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
