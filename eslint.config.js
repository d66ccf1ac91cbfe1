/**
 * ESLint checks two things, both in CI (`npm run lint`):
 * - the public GraphQL contract, the SDL in schema/*.graphql (graphql-eslint);
 * - the TypeScript of src/, test/ and examples/ with typescript-eslint's type-aware recommended
 *   rules. Generated code (src/generated, examples' gql/) and the printed schema.graphql are
 *   output, not linted. bench/ is a package of its own, whose types come from its own
 *   node_modules: its eslint.config.js applies the same rules (`npm --prefix bench run lint`).
 *
 * Federation: schema/base.graphql starts with `extend schema @link(url:
 * "https://specs.apollo.dev/federation/v2.6", ...)`. graphql-eslint sees that link and builds the
 * schema with @apollo/subgraph's buildSubgraphSchema (a dependency of the gateway), which defines
 * @link, @key and the other federation directives, so known-directives accepts them without a
 * hand-kept copy of their definitions here (a copy would collide with the ones it adds).
 */
import { fileURLToPath } from 'node:url';
import graphqlPlugin from '@graphql-eslint/eslint-plugin';
import tseslint from 'typescript-eslint';

const recommended = graphqlPlugin.configs['flat/schema-recommended'].rules;
const relay = graphqlPlugin.configs['flat/schema-relay'].rules;
const [, recommendedNaming] = recommended['@graphql-eslint/naming-convention'];

/**
 * typescript-eslint's type-aware recommended rules over `files`, with this project's choices;
 * `relaxed` files (tests, benchmarks) read JSON answers as they come.
 */
export function typescriptConfig({ files, relaxed, root }) {
  return [
    ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files })),
    {
      files,
      languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: fileURLToPath(root) } },
      rules: {
        // `_name` marks what a signature needs but the body does not use.
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
        // Off: Yoga's and envelop's hooks hand out plain functions to destructure (`setResult`,
        // `endResponse`), as their documentation shows; the rule cannot tell them from methods.
        '@typescript-eslint/unbound-method': 'off',
      },
    },
    {
      // Untyped by nature, checked by their assertions.
      files: relaxed,
      rules: {
        '@typescript-eslint/no-explicit-any': 'off',
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-member-access': 'off',
        '@typescript-eslint/no-unsafe-call': 'off',
        '@typescript-eslint/no-unsafe-argument': 'off',
        '@typescript-eslint/no-unsafe-return': 'off',
      },
    },
  ];
}

export default [
  { ignores: ['node_modules/', 'dist/', '**/dist/', 'bench/', 'src/generated/', 'examples/*/src/gql/', 'schema.graphql'] },
  ...typescriptConfig({
    files: ['src/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts'],
    relaxed: ['test/**/*.ts', 'src/**/*.test.ts'],
    root: new URL('.', import.meta.url),
  }),
  {
    files: ['schema/*.graphql'],
    languageOptions: {
      parser: graphqlPlugin.parser,
      // The whole schema (all of schema/), so that rules see types defined in sibling files.
      parserOptions: {
        graphQLConfig: { schema: fileURLToPath(new URL('./schema/*.graphql', import.meta.url)) },
      },
    },
    plugins: { '@graphql-eslint': graphqlPlugin },
    rules: {
      ...recommended,
      // relay-connection-types, relay-edge-types, relay-page-info, relay-arguments: the
      // connections (WorkflowConnection, WorkflowExecutionConnection) follow the Relay spec.
      ...relay,

      '@graphql-eslint/naming-convention': [
        'error',
        {
          ...recommendedNaming, // keeps the recommended forbidden prefixes/suffixes (getX, XType, ...)
          types: 'PascalCase', // DateTime, JSON, WorkflowExecution
          FieldDefinition: 'camelCase',
          EnumValueDefinition: 'UPPER_CASE',
        },
      ],

      // Every type, field, argument and enum value is documented: the descriptions are the API
      // documentation clients read in GraphiQL and in their generated types.
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          rootField: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
          DirectiveDefinition: true,
        },
      ],

      // Off: the rule wants one style everywhere (all "…" or all """…"""), while this schema uses
      // "…" for one-line descriptions and """…""" for multi-line ones, which the rule cannot
      // express. The printed schema.graphql normalises the style anyway.
      '@graphql-eslint/description-style': 'off',

      // Entities (Workflow, WorkflowExecution, and WorkflowExecutionLog) carry `id: ID!`. Tuned,
      // not off: the exceptions are value objects with no global identity, namely the Relay
      // plumbing (PageInfo, *Connection, *Edge, as the Relay spec defines them) and the workflow
      // graph, whose nodes' and edges' `id: String!` are only unique within one workflow (they
      // are not Altostrat ids and cannot be fetched with Query.node). Mutation payloads (*Payload)
      // and computed results (WorkflowValidation, WorkflowStats, StatusCount) have no identity.
      '@graphql-eslint/strict-id-in-types': [
        'error',
        {
          acceptedIdNames: ['id'],
          acceptedIdTypes: ['ID'],
          exceptions: {
            types: ['PageInfo', 'WorkflowGraph', 'WorkflowGraphNode', 'WorkflowGraphPosition', 'WorkflowValidation', 'WorkflowStats', 'StatusCount'],
            suffixes: ['Connection', 'Edge', 'Payload'],
          },
        },
      ],

      // Tuned: listTypeCanWrapOnlyEdgeType would allow lists of edges only, anywhere in the
      // schema. Our connections also offer `nodes` (the items without cursors, as GitHub's API
      // does), and plain lists are deliberate where nothing is paginated (WorkflowExecution.logs,
      // WorkflowGraph.nodes/edges). shouldImplementNode is off for one edge: WorkflowLogEdge's node
      // is a log entry, which Altostrat cannot read on its own, so it cannot be a Node. The Edge
      // suffix check stays.
      '@graphql-eslint/relay-edge-types': [
        'error',
        { withEdgeSuffix: true, shouldImplementNode: false, listTypeCanWrapOnlyEdgeType: false },
      ],
    },
  },
];
