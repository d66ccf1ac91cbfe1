/**
 * bench/ is linted on its own (`npm run lint` here), with the gateway's TypeScript rules, since
 * its types come from this package's node_modules. Benchmarks read JSON answers as tests do.
 */
import { typescriptConfig } from '../eslint.config.js';

export default [
  { ignores: ['node_modules/', '**/dist/'] },
  ...typescriptConfig({ files: ['**/*.ts'], relaxed: ['**/*.ts'], root: new URL('.', import.meta.url) }),
];
