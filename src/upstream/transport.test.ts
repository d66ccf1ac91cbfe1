/** Reading Retry-After (RFC 9110, 10.2.3): delay-seconds, an HTTP date, or neither. */
import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from './transport.js';

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
