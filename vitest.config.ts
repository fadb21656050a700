import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // RSA key generation and child processes make some tests slower than the default 5 s on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Node 20 is supported locally; the SDK's notice about needing Node 22 from 2027 is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
