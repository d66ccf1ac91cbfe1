/**
 * The breaking-change gate of the public contract: compares schema.graphql (the printed subgraph
 * SDL) at a base git ref with the working tree's, prints every change with its criticality, and
 * fails when a BREAKING change is not acknowledged in schema-changes.json, a committed array of
 * `{ "change": "<the change's message or path>", "reason": "..." }`.
 *
 *   tsx src/tools/schema-breaking.ts [base-ref]     (base-ref defaults to HEAD~1)
 *
 * Exit 0: no unacknowledged breaking change, or nothing to compare (the base ref or its
 * schema.graphql does not exist: first commit, shallow clone). Exit 1 otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildSchema, type GraphQLSchema } from 'graphql';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ackFile = `${root}schema-changes.json`;

// The printed SDL uses federation directives (@link, @key) without defining them, so graphql's
// buildSchema would reject it. These are the federation v2 definitions; when schema/base.graphql
// imports another federation directive, add its definition here.
const federationDirectives = /* GraphQL */ `
  scalar link__Import
  enum link__Purpose { SECURITY EXECUTION }
  scalar federation__FieldSet
  directive @link(url: String!, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
  directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
  directive @shareable repeatable on OBJECT | FIELD_DEFINITION
  directive @external on OBJECT | FIELD_DEFINITION
  directive @requires(fields: federation__FieldSet!) on FIELD_DEFINITION
  directive @provides(fields: federation__FieldSet!) on FIELD_DEFINITION
  directive @override(from: String!, label: String) on FIELD_DEFINITION
  directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
  directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA
`;

interface Acknowledgement {
  change: string;
  reason: string;
}

function buildPrintedSchema(sdl: string): GraphQLSchema {
  return buildSchema(`${federationDirectives}\n${sdl}`);
}

/**
 * schema.graphql at `ref`, or null (with the reason printed) when there is none to compare. A ref
 * given on the command line must exist, so that a typo never passes as "nothing to compare".
 */
function readAtRef(ref: string, explicit: boolean): string | null {
  const git = (args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (commit.status !== 0) {
    if (explicit) throw new Error(`No commit ${ref}: is the ref fetched?`);
    console.log(`No commit ${ref} (first commit or shallow clone): no base schema to compare with.`);
    return null;
  }
  const show = git(['show', `${commit.stdout.trim()}:./schema.graphql`]);
  if (show.status !== 0) {
    console.log(`${ref} has no schema.graphql: no base schema to compare with.`);
    return null;
  }
  return show.stdout;
}

/** The acknowledgements in schema-changes.json; none when the file does not exist. */
function readAcknowledgements(): Acknowledgement[] {
  if (!existsSync(ackFile)) return [];
  const parsed: unknown = JSON.parse(readFileSync(ackFile, 'utf8'));
  const valid = (a: unknown): a is Acknowledgement =>
    typeof a === 'object' && a !== null &&
    typeof (a as Acknowledgement).change === 'string' && (a as Acknowledgement).change !== '' &&
    typeof (a as Acknowledgement).reason === 'string' && (a as Acknowledgement).reason.trim() !== '';
  if (!Array.isArray(parsed) || !parsed.every(valid)) {
    throw new Error(`${ackFile} must be an array of { "change": "...", "reason": "..." }, each with a reason.`);
  }
  return parsed;
}

/**
 * Diffs the two SDLs, prints every change, and returns the BREAKING changes that no
 * acknowledgement names by message or by path.
 */
async function unacknowledgedBreaking(baseSdl: string, newSdl: string, acks: Acknowledgement[]): Promise<Change[]> {
  const changes = await diff(buildPrintedSchema(baseSdl), buildPrintedSchema(newSdl));
  const ackFor = (c: Change) => acks.find((a) => a.change === c.message || a.change === c.path);
  const failing: Change[] = [];
  for (const change of changes) {
    const breaking = change.criticality.level === CriticalityLevel.Breaking;
    const ack = breaking ? ackFor(change) : undefined;
    if (breaking && !ack) failing.push(change);
    const note = ack ? `  [acknowledged: ${ack.reason}]` : '';
    console.log(`${change.criticality.level.padEnd(12)} ${change.message}${change.path ? ` (${change.path})` : ''}${note}`);
  }
  if (changes.length === 0) console.log('No schema changes.');
  return failing;
}

async function main(): Promise<number> {
  const ref = process.argv[2] ?? 'HEAD~1';
  const baseSdl = readAtRef(ref, process.argv[2] !== undefined);
  if (baseSdl === null) return 0;
  console.log(`schema.graphql: changes since ${ref}`);
  const failing = await unacknowledgedBreaking(baseSdl, readFileSync(`${root}schema.graphql`, 'utf8'), readAcknowledgements());
  if (failing.length === 0) return 0;
  console.error(
    `\n${failing.length} breaking change(s) not acknowledged. If intended, add to schema-changes.json, e.g.\n` +
      JSON.stringify(failing.map((c) => ({ change: c.message, reason: '<why clients can take this>' })), null, 2),
  );
  return 1;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  return 1;
});
