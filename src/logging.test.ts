import { describe, expect, it } from 'vitest';
import { createLogger, yogaLogger } from './logging.js';

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) };
}

describe('the logger', () => {
  it('redacts authorization headers and tokens wherever they sit in a logged object', () => {
    const { lines, logger } = capture();
    logger.info({ authorization: 'Bearer abc.def', headers: { authorization: 'Bearer ghi' }, upstream: { token: 'jkl' } }, 'call');
    expect(lines.join('')).not.toMatch(/abc\.def|ghi|jkl/);
    expect(JSON.parse(lines[0]!).headers.authorization).toBe('[redacted]');
  });

  it('masks a bearer token that reaches a message as text, also through Yoga’s logger', () => {
    const { lines, logger } = capture();
    logger.warn('upstream said no to Bearer eyJhbGciOi.secret-part');
    yogaLogger(logger).error('failed with authorization: Bearer another.secret');
    expect(lines.join('')).not.toContain('secret');
    expect(lines.join('')).toContain('Bearer [redacted]');
  });
});
