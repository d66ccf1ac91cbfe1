/**
 * The bytes a request's head may take (docs/guarantees.md, the table of limits). Its headers are
 * held to Node's own default, 16 KiB; its request line may take MAX_BODY_BYTES beyond that, since
 * a GET carries its operation in the query string, which body-limit.ts holds to MAX_BODY_BYTES as
 * a body is (414). Node's parser is given the sum (http-server.ts), so the headers alone are
 * counted here, before anything reads them.
 */
import type { IncomingMessage } from 'node:http';

export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Whether `request`'s headers, its request line aside, take more than MAX_HEADER_BYTES (each
 * `name: value` and its line end). Node reads header bytes as latin1, a character a byte, so a
 * string's length is its size.
 */
export function headersTooLarge(request: IncomingMessage): boolean {
  const raw = request.rawHeaders;
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4;
  return bytes > MAX_HEADER_BYTES;
}

export const HEADERS_TOO_LARGE = `The request's headers take more than ${MAX_HEADER_BYTES} bytes.`;

/**
 * Whether `request` carries Authorization more than once. Node keeps the first and drops the rest,
 * so the gateway would forward one of two tokens a client (or a proxy adding its own) sent: which
 * caller the request is for is ambiguous, and it is refused.
 */
export function authorizationRepeated(request: IncomingMessage): boolean {
  const raw = request.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization' && ++seen > 1) return true;
  return false;
}

export const AUTHORIZATION_REPEATED = 'The request carries more than one Authorization header; send one.';
