/**
 * The text an answer may take (docs/guarantees.md, the table of limits). The estimate of an
 * answer's values (cost/result-size.ts) bounds how often the query repeats what it asks for; what
 * one value holds is Altostrat's (a graph's `data`, a step's `output`), so the text is bounded when
 * it is written: an answer over MAX_ANSWER_CHARS is replaced by a coded error, and a client that
 * never reads it holds no more than that in the gateway's memory.
 */
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isAsyncIterable } from '@graphql-tools/utils';
import { codedError, ErrorCode } from '../errors.js';

/** 32 Mi characters of JSON: many times a page of 100 runs with their logs, or 100 workflows with their graphs. */
export const MAX_ANSWER_CHARS = 32 * 1024 * 1024;

/** What an answer over the limit is replaced by. */
export const ANSWER_TOO_LARGE: ExecutionResult = {
  data: null,
  errors: [
    codedError(
      ErrorCode.BAD_USER_INPUT,
      `This query's answer would take more than ${MAX_ANSWER_CHARS} characters. ` +
        'Ask for fewer items (smaller `first`/`last`), fewer aliases, or fewer large fields (`graph`, `output`), and page through the rest.',
    ),
  ],
};
const TOO_LARGE = JSON.stringify(ANSWER_TOO_LARGE);

/** Whether `result` written as JSON is over the limit (a WebSocket's messages are written by graphql-ws). */
export const isAnswerTooLarge = (result: ExecutionResult): boolean => JSON.stringify(result).length > MAX_ANSWER_CHARS;

/** A result as JSON, or the coded error when that is over the limit (Yoga's `stringify`, and SSE's events). */
export const answerText = (result: ExecutionResult | FormattedExecutionResult): string => {
  const text = JSON.stringify(result);
  return text.length <= MAX_ANSWER_CHARS ? text : TOO_LARGE;
};

export function useAnswerSizeLimit(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (result !== undefined && !isAsyncIterable(result)) setResult({ ...result, stringify: answerText });
    },
  };
}
