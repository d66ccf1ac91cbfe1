import type { Plugin } from 'graphql-yoga';
import { errorBody, ErrorCode } from '../errors.js';

/**
 * Refuses a body over the limit before reading it; a POST must say its length (a chunked body has
 * none). Node's parser reads exactly Content-Length bytes as the body, so a body longer than it
 * says is never read past the limit: this check is the only body limit (server.ts). A GET (a query,
 * or a subscription over Server-Sent Events) carries its operation in the query string instead,
 * held to the same limit (414).
 */
export function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const refuse = (status: number, message: string) =>
        endResponse(
          new fetchAPI.Response(errorBody(ErrorCode.BAD_USER_INPUT, message), {
            status,
            headers: { 'content-type': 'application/json' },
          }),
        );
      if (request.method === 'GET') {
        // A URL is ASCII (percent-encoded): its length is its size in bytes.
        const start = request.url.indexOf('?');
        const bytes = start < 0 ? 0 : request.url.length - start - 1;
        if (bytes > maxBytes) refuse(414, `The request's query string is ${bytes} bytes; the limit is ${maxBytes}.`);
        return;
      }
      if (request.method !== 'POST') return;
      const length = request.headers.get('content-length');
      if (length === null) refuse(411, 'Send the request body with a Content-Length header.');
      else if (Number(length) > maxBytes) refuse(413, `The request body is ${length} bytes; the limit is ${maxBytes}.`);
    },
  };
}
