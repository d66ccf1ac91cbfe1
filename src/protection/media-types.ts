/**
 * The media types of a request as GraphQL over HTTP reads them (RFC 9110 section 8.3.1, 12.5.1),
 * put into the one spelling Yoga's own checks match, before Yoga sees the request: a type's name
 * in any case (`Application/JSON`), white space around a `;`, and an `Accept` list in any order of
 * preference (`application/json;q=0.1, application/graphql-response+json` prefers the latter; a
 * type of `q=0` is not acceptable at all). Yoga compares the names as written and takes the first
 * type an `Accept` lists.
 */
import type { IncomingMessage } from 'node:http';

/** `type/subtype; name=value; ...` with the names in lower case and no white space around the parts. */
function normalised(mediaType: string): { spelling: string; q: number } {
  const [type = '', ...parameters] = mediaType.split(';').map((part) => part.trim());
  let q = 1;
  const kept: string[] = [];
  for (const parameter of parameters) {
    const at = parameter.indexOf('=');
    const name = (at < 0 ? parameter : parameter.slice(0, at)).trim().toLowerCase();
    const value = at < 0 ? '' : parameter.slice(at + 1).trim();
    if (name === 'q') q = Number.isNaN(Number(value)) ? 1 : Number(value);
    else if (name !== '') kept.push(`${name}=${value}`);
  }
  return { spelling: [type.toLowerCase(), ...kept].join('; '), q };
}

/** What a header needs rewriting for: a capital letter, white space before a `;`, a preference. */
const UNLIKE_YOGA = /[A-Z]|\s;|q=/;

/**
 * Rewrites `request`'s Content-Type and Accept headers in place, as the module says. Most requests
 * need none of it (`application/json`, in Yoga's own spelling and order): those are only looked at,
 * a rewritten header costing every later reader of the request a little.
 */
export function normaliseMediaTypes(request: IncomingMessage): void {
  const { headers } = request;
  const contentType = headers['content-type'];
  if (contentType !== undefined && UNLIKE_YOGA.test(contentType)) {
    const spelling = normalised(contentType).spelling;
    if (spelling !== contentType) headers['content-type'] = spelling;
  }
  const accept = headers.accept;
  if (accept !== undefined && UNLIKE_YOGA.test(accept)) {
    const types = accept.split(',').map((entry) => normalised(entry)).filter((entry) => entry.spelling !== '');
    // A stable sort: types of equal preference keep the order the client gave them.
    const ordered = types.filter((entry) => entry.q > 0).sort((a, b) => b.q - a.q).map((entry) => entry.spelling).join(', ');
    if (ordered !== accept) headers.accept = ordered;
  }
}
