/**
 * The GraphQL over WebSocket protocol (graphql-ws, what Apollo Client and urql speak) on the same
 * `/graphql` as HTTP and Server-Sent Events. Every operation runs through Yoga's envelop, so the
 * same plugins hold as over HTTP: parse and validation limits, the upstream-call budget, error
 * masking. Browsers cannot set headers on a WebSocket, so the token comes in the
 * `connection_init` payload `{ "authorization": "Bearer ..." }` and is made the Authorization
 * header of a stand-in Request, which the context reads as it reads any request's.
 */
import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Gateway } from './server.js';
import { ErrorCode, withCode } from './errors.js';

/** graphql-ws pings idle sockets this often (and closes those that do not answer); Yoga's SSE pings every 12 s too. */
const KEEP_ALIVE_MS = 12_000;

interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/** What Yoga's envelop hands out for one operation, with the plugins applied. */
interface EnvelopedOperation extends Enveloped {
  schema: GraphQLSchema;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
  contextFactory: () => Promise<unknown>;
}

export interface WebSockets {
  /** Closes every socket (graphql-ws completes their operations) and stops accepting. */
  close(): Promise<void>;
}

export function attachWebSockets(server: Server, { yoga }: Gateway): WebSockets {
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      // Results do not pass through Yoga's HTTP result processing here: code their errors the same way.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.some((e) => !e.extensions?.code) ? { ...result, errors: result.errors.map((e) => withCode(e).toJSON()) } : undefined,
      onSubscribe: async (ctx, _id, params) => {
        const given = ctx.connectionParams?.authorization;
        const closed = new AbortController();
        ctx.extra.socket.once('close', () => closed.abort());
        const request = new Request(`http://gateway${yoga.graphqlEndpoint}`, {
          headers: typeof given === 'string' ? { authorization: given } : {},
          signal: closed.signal,
        });
        const enveloped = yoga.getEnveloped({ request, params }) as EnvelopedOperation;
        // A document refused at parse or validation time (syntax, graphql-armor's limits, which
        // throw) fails this operation alone, with the code HTTP gives it; thrown out of here, it
        // would close the socket and every other operation on it.
        let document: DocumentNode;
        let errors: readonly GraphQLError[];
        try {
          document = enveloped.parse(params.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [withCode(error, ErrorCode.GRAPHQL_PARSE_FAILED)];
          throw error;
        }
        try {
          errors = enveloped.validate(enveloped.schema, document);
        } catch (error) {
          if (error instanceof GraphQLError) return [withCode(error)];
          throw error;
        }
        if (errors.length > 0) return errors.map((error) => withCode(error, ErrorCode.GRAPHQL_VALIDATION_FAILED));
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    wsServer,
    KEEP_ALIVE_MS,
  );
  return {
    async close() {
      // The hub has just ended every stream: let graphql-ws send their `complete` messages before
      // it closes the sockets.
      await new Promise((resolve) => setImmediate(resolve));
      await disposable.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
