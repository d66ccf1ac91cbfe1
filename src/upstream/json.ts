/**
 * Reading upstream JSON that third parties shaped. A log entry's `output` is whatever a webhook
 * step received, so it can be nested far deeper than any client needs, and deep enough to blow
 * the stack when the response is serialised (10,000 levels) or to block the event loop (a
 * million). Before parsing, every object or array nested deeper than the limit is cut out of the
 * text and replaced by a marker object, in one linear pass with no recursion; the field that
 * carries a marker then fails alone with UPSTREAM_ERROR (server.ts checks every JSON field with `containsTooDeep`).
 */

/** Where a subtree was cut: `{"$gatewayTooDeep": true}`, never a value Altostrat documents. */
export const TOO_DEEP_KEY = '$gatewayTooDeep';
const MARKER = `{"${TOO_DEEP_KEY}":true}`;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** `text` with every object or array deeper than `maxDepth` replaced by the marker; the same string when none is. */
export function cutDeepJson(text: string, maxDepth: number): string {
  // Fast exit: nesting deeper than maxDepth needs more than maxDepth opening characters.
  if (text.length <= maxDepth * 2) return text;
  let depth = 0;
  let cutFrom = -1;
  const parts: string[] = [];
  let copiedUpTo = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Most of a body is inside strings: jump to the closing quote instead of reading up to it.
      i = closingQuote(text, i);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === maxDepth + 1 && cutFrom < 0) cutFrom = i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === maxDepth + 1 && cutFrom >= 0) {
        parts.push(text.slice(copiedUpTo, cutFrom), MARKER);
        copiedUpTo = i + 1;
        cutFrom = -1;
      }
      depth--;
    }
  }
  if (parts.length === 0) return text;
  parts.push(text.slice(copiedUpTo));
  return parts.join('');
}

/** The index of the quote that ends the string opened at `open` (one not escaped by an odd run of backslashes); the text's length if none does. */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/** Whether a value parsed from cut text holds a marker (the value itself is at most maxDepth deep). */
export function containsTooDeep(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsTooDeep);
  if ((value as Record<string, unknown>)[TOO_DEEP_KEY] === true) return true;
  return Object.values(value).some(containsTooDeep);
}
