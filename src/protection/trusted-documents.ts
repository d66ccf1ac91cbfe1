/**
 * Trusted documents (PERSISTED_DOCUMENTS): the manifest, read once at start, and the plugin that
 * lets only its documents run.
 */
import { readFileSync } from 'node:fs';
import { Kind, parse, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { defaultExtractPersistedOperationId, usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { ConfigError } from '../config.js';
import { ErrorCode } from '../errors.js';

/**
 * Trusted documents: a manifest `{ "<id>": "<document>" }` (what graphql-codegen's client preset
 * writes as persisted-documents.json, ids like `sha256:<hex>`); only its documents run. A client
 * sends `{"documentId": "<id>"}` (or `?documentId=<id>` on a GET) or Apollo's
 * `extensions.persistedQuery.sha256Hash`.
 */
export function loadTrustedDocuments(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`PERSISTED_DOCUMENTS must name a readable JSON manifest, got "${path}" (${(error as Error).message})`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may be any file's (a secret's, named by mistake).
    throw new ConfigError(`PERSISTED_DOCUMENTS must name a JSON manifest, got "${path}", which is not JSON`);
  }
  const entries = manifest && typeof manifest === 'object' && !Array.isArray(manifest) ? Object.entries(manifest) : [];
  if (entries.length === 0 || !entries.every(([, document]) => typeof document === 'string')) {
    throw new ConfigError(`PERSISTED_DOCUMENTS must be a JSON object of document ids to documents, got "${path}"`);
  }
  for (const [id, document] of entries as Array<[string, string]>) {
    try {
      parse(document);
    } catch (error) {
      // Where, not what: a syntax error's message quotes the text, which may be any file's.
      const [at] = (error as GraphQLError).locations ?? [];
      const where = at ? ` (a syntax error at line ${at.line}, column ${at.column})` : '';
      throw new ConfigError(`PERSISTED_DOCUMENTS must hold GraphQL documents; "${id}" in "${path}" is not one${where}`);
    }
  }
  return new Map(entries as Array<[string, string]>);
}

/** The operation names of a trusted-documents manifest. */
export function trustedOperationNames(documents: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const document of documents.values()) {
    for (const definition of parse(document).definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
    }
  }
  return names;
}

export function useTrustedDocuments(documents: Map<string, string>): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: (params, request, context) => {
      // Yoga reads only the GraphQL-over-HTTP parameters from a GET's query string.
      const documentId = request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') : (params as { documentId?: unknown }).documentId;
      return typeof documentId === 'string' ? documentId : defaultExtractPersistedOperationId(params, request, context);
    },
    getPersistedOperation: (id) => documents.get(id) ?? documents.get(`sha256:${id}`) ?? null,
    customErrors: {
      persistedQueryOnly: {
        message: 'This gateway runs trusted documents only: send a `documentId` from the manifest instead of a query.',
        extensions: { code: ErrorCode.PERSISTED_QUERY_ONLY },
      },
      keyNotFound: {
        message: 'This gateway runs trusted documents only: send a `documentId` from the manifest.',
        extensions: { code: ErrorCode.PERSISTED_QUERY_ONLY },
      },
      notFound: {
        message: 'No trusted document has this id: regenerate the manifest with the client preset and deploy it.',
        extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_FOUND },
      },
    },
  });
}

