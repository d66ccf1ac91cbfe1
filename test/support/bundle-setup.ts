/**
 * vitest's global setup: bundles dist/main.js from the sources as they are, once before any test,
 * so that every test that spawns the gateway runs what `npm start` runs.
 */
import { bundle } from '../../src/tools/bundle.js';

export async function setup(): Promise<void> {
  await bundle();
}
