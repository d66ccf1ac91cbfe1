/**
 * A GET whose `variables` or `extensions` is not JSON. Yoga's GET parser lets JSON.parse's
 * SyntaxError escape, which would answer as a bug (500, logged at error level). It is a bad request,
 * as the same mistake in a POST body is (Yoga's 400 BAD_REQUEST): answered so here. The parser is
 * wrapped for GETs only; a POST's is Yoga's as it is.
 */
import type { Plugin } from 'graphql-yoga';
import { codedError, ErrorCode } from '../errors.js';

export function useQueryStringErrors(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (request.method !== 'GET' || !requestParser) return;
      setRequestParser(async (req) => {
        try {
          return await requestParser(req);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          throw codedError(ErrorCode.BAD_REQUEST, 'The `variables` and `extensions` query parameters must be JSON objects.', { http: { status: 400 } });
        }
      });
    },
  };
}
