/** Reading Retry-After (RFC 9110, 10.2.3) and a 422's field names. */
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf, retryAfterSeconds, WITHHELD_MESSAGE } from './transport.js';

describe('retryAfterSeconds', () => {
  it('reads delay-seconds, a fraction up to the next second', () => {
    expect(retryAfterSeconds('120')).toBe(120);
    expect(retryAfterSeconds(' 0 ')).toBe(0);
    expect(retryAfterSeconds('1.5')).toBe(2);
    expect(retryAfterSeconds(['3', '9'])).toBe(3);
  });

  it('reads an HTTP date as the seconds until it, none once it passed', () => {
    const inOneMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfterSeconds(inOneMinute)).toBeGreaterThanOrEqual(59);
    expect(retryAfterSeconds(inOneMinute)).toBeLessThanOrEqual(61);
    expect(retryAfterSeconds('Wed, 21 Oct 2015 07:28:00 GMT')).toBe(0);
  });

  it('is undefined for what is neither (which Date.parse would read as a date in the past)', () => {
    for (const value of ['-1', '1e3', '1.5.2', '', 'soon', undefined]) expect(retryAfterSeconds(value)).toBeUndefined();
  });
});

describe('fieldErrorsOf', () => {
  const errorsOf = (fields: string[]) => JSON.stringify({ message: 'invalid', errors: Object.fromEntries(fields.map((f) => [f, ['bad']])) });
  it('names a field in the schema’s words, the caller’s own JSON keys as the caller wrote them, and others as Altostrat did', () => {
    const names = { authorization_id: 'authorizationId', nodes: 'graph.nodes', edges: 'graph.edges', 'nodes.1.data.componentId': 'graph.nodes.1.componentId' };
    const fields = ['authorization_id', 'edges.0.sourceHandle', 'nodes.1.data.componentId', 'nodes.0.data.api_url', 'context.user_id', 'context.items.0.sku_code', 'unknown_thing'];
    expect(Object.keys(fieldErrorsOf(errorsOf(fields), names))).toEqual([
      'authorizationId',
      'graph.edges.0.sourceHandle',
      'graph.nodes.1.componentId',
      'graph.nodes.0.data.api_url',
      'context.user_id',
      'context.items.0.sku_code',
      'unknown_thing',
    ]);
  });

  it('names the fields of a body that is the caller’s own JSON under its input, as sent', () => {
    expect(Object.keys(fieldErrorsOf(errorsOf(['workflow', 'customer_id', 'items.0.sku_code']), { workflow: 'workflowId', '*': 'payload' }))).toEqual([
      'workflowId',
      'payload.customer_id',
      'payload.items.0.sku_code',
    ]);
  });

  it('masks a secret the caller sent in every message, as sent and as JSON text quoting it would spell it', () => {
    const secret = 'hunter2"wx\\yz/é';
    const body = JSON.stringify({ name: 'x', secret });
    const php = body.replace(/\//g, '\\/').replace('é', '\\u00e9');
    const text = JSON.stringify({ errors: { name: [`Rejected ${body}`, `Rejected ${php}`, `The secret ${secret} is weak.`] } });
    const { name } = fieldErrorsOf(text, {}, [secret]);
    expect(name).toEqual(['Rejected {"name":"x","secret":"[redacted]"}', 'Rejected {"name":"x","secret":"[redacted]"}', 'The secret [redacted] is weak.']);
  });

  it('masks a secret the caller sent escaped for HTML, or percent-encoded as in a URL', () => {
    const secret = `p&ss <w'rd> "x" é/+`;
    const html = `p&amp;ss &lt;w&#039;rd&gt; &quot;x&quot; é/+`;
    const url = encodeURIComponent(secret);
    const text = JSON.stringify({ errors: { name: [`<p>${html}</p>`, `?q=${url}`, `?q=${url.toLowerCase()}`, `?q=${url.replace(/%20/g, '+')}`] } });
    const { name } = fieldErrorsOf(text, {}, [secret]);
    expect(name).toEqual(['<p>[redacted]</p>', '?q=[redacted]', '?q=[redacted]', '?q=[redacted]']);
  });

  it('masks a secret in a field name too, in either error shape, merging the names it makes alike', () => {
    const secret = 'sEcReT-in-a-key-9f8e7d';
    const laravel = JSON.stringify({ errors: { [`secret.${secret}`]: ['Refused.'], [`other.${secret}`]: ['Also refused.'], name: ['Too short.'] } });
    expect(fieldErrorsOf(laravel, {}, [secret])).toEqual({ 'secret.[redacted]': ['Refused.'], 'other.[redacted]': ['Also refused.'], name: ['Too short.'] });
    const stripe = JSON.stringify({ type: 'invalid_request_error', code: 'bad', param: secret, message: 'refused' });
    expect(fieldErrorsOf(stripe, {}, [secret])).toEqual({ '[redacted]': ['refused'] });
    // A short secret is masked where no letter or digit adjoins it in a name, not inside a word.
    const short = JSON.stringify({ errors: { 'secret.xy': ['One.'], xy: ['Two.'], oxyz: ['Three.'], ab: ['Four.'], 'secret[xy]': ['Five.'], 'a.b.c': ['Six.'] } });
    expect(fieldErrorsOf(short, {}, ['xy', 'ab', 'b.c'])).toEqual({
      'secret.[redacted]': ['One.'],
      '[redacted]': ['Two.', 'Four.'],
      oxyz: ['Three.'],
      'secret[[redacted]]': ['Five.'],
      'a.[redacted]': ['Six.'],
    });
  });

  it('masks a secret holding a lone surrogate, which has no URL spelling', () => {
    const secret = 'half\ud800of-a-pair';
    const text = JSON.stringify({ errors: { secret: [`The secret ${secret} is weak.`] } });
    expect(fieldErrorsOf(text, {}, [secret])).toEqual({ secret: ['The secret [redacted] is weak.'] });
  });

  it('withholds a message holding a short secret whole, leaving the others as they are', () => {
    const text = JSON.stringify({ errors: { name: ['The name field must be at least 3 characters.', 'Too short.'], secret: ['The secret at is too weak.'] } });
    const W = WITHHELD_MESSAGE;
    expect(fieldErrorsOf(text, {}, ['e'])).toEqual({ name: [W, 'Too short.'], secret: [W] });
    expect(fieldErrorsOf(text, {}, ['at'])).toEqual({ name: [W, 'Too short.'], secret: [W] });
    expect(fieldErrorsOf(text, {}, ['xyz'])).toEqual({ name: ['The name field must be at least 3 characters.', 'Too short.'], secret: ['The secret at is too weak.'] });
    expect(fieldErrorsOf(text, {}, ['o sho'])).toEqual({ name: ['The name field must be at least 3 characters.', W], secret: ['The secret at is too weak.'] });
  });
});
