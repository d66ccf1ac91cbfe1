/**
 * Writes the subgraph SDL (what `_service { sdl }` answers and what a schema registry receives) to
 * schema.graphql at the repository root. With --check, writes nothing and fails when the file is
 * not current, so that CI catches a schema/ change whose printed schema was not committed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import { createSchema } from '../server.js';

const target = new URL('../../schema.graphql', import.meta.url);
const sdl = `${printSubgraphSchema(createSchema()).trim()}\n`;

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing: reported below
  }
  if (committed !== sdl) {
    console.error('schema.graphql is not current: run `npm run schema:print` and commit it.');
    process.exit(1);
  }
  console.log('schema.graphql is current.');
} else {
  writeFileSync(target, sdl);
  console.log(`Wrote ${target.pathname}`);
}
