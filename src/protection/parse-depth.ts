/**
 * A document nested deeper than the parser can recurse. graphql-js's parser (and graphql-armor's
 * token counter, which is one) calls itself once per level of a list or object literal, so a
 * document within the token limit, `[[[...]]]` a couple of thousand levels deep, overflows the
 * stack. The RangeError would answer as a bug (500, logged at error level, as many times as it is
 * sent). It is a bad document: GRAPHQL_PARSE_FAILED. Nothing runs per request but the hook: the
 * guard wraps the parser, which runs only for a document the parse cache does not hold.
 */
import type { Plugin } from 'graphql-yoga';
import { codedError, ErrorCode } from '../errors.js';

type ParseFn = (...args: never[]) => unknown;

function guard<F extends ParseFn>(parse: F): F {
  return ((...args) => {
    try {
      return parse(...args);
    } catch (error) {
      if (error instanceof RangeError) {
        throw codedError(ErrorCode.GRAPHQL_PARSE_FAILED, 'The document is nested too deeply to be read: keep lists and objects within 64 levels.');
      }
      throw error;
    }
  }) as F;
}

/** Put after the plugins that replace the parser (graphql-armor's token limit), so that it guards theirs. */
export function useParseDepthGuard(): Plugin {
  let parser: ParseFn | undefined;
  let guarded: ParseFn | undefined;
  return {
    onParse({ parseFn, setParseFn }) {
      if (parseFn !== parser) {
        parser = parseFn;
        guarded = guard(parseFn);
      }
      setParseFn(guarded as typeof parseFn);
    },
  };
}
