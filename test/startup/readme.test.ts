/**
 * The README stays true (docs/guarantees.md, "Start-up and configuration"): its configuration
 * table lists exactly the variables config.ts reads, each with the default config.ts applies, and
 * the query it shows is the one GraphiQL opens on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { EXAMPLE_QUERY } from '../../src/example-query.js';

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));

/** The table's rows: the variables of the first column, and the backticked values of the second. */
const rows = [...section.matchAll(/^\| (`[A-Z].*?) \| (.*?) \| .* \|$/gm)].map(([, names, defaults]) => ({
  names: [...names!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!),
  defaults: [...defaults!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
}));

describe('the README', () => {
  it('lists in its configuration table every variable config.ts reads, and no other', () => {
    const read = new Set<string>();
    loadConfig(new Proxy({}, { get: (_, name) => (typeof name === 'string' && read.add(name), undefined) }));
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.flatMap((row) => row.names).sort()).toEqual([...read].sort());
  });

  it('gives each variable the default config.ts applies (in demo mode, as npm start runs)', () => {
    const defaults = loadConfig({});
    let checked = 0;
    for (const { names, defaults: shown } of rows) {
      // "unset" and "a random key per process" name no value to set.
      if (shown.length < names.length) continue;
      names.forEach((name, i) => {
        expect(loadConfig({ [name]: shown[i] }), `${name}=${shown[i]}`).toEqual(defaults);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(25);
  });

  it('shows the query GraphiQL opens on', () => {
    expect(readme).toContain('```graphql\n' + EXAMPLE_QUERY + '```');
  });
});
