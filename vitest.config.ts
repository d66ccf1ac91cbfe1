import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports" map: Vite would pick its .mjs build while Node (and so every
    // dependency) loads the .js one, and graphql refuses types from "another realm". Use Node's
    // (for the bare name only: a deep import such as graphql/jsutils/inspect.js resolves as it is).
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/bundle-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
