/** The logger never writes a credential: redaction by path, `Bearer ...` masked in text and in logged errors, which are also cut short. */
import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOGGED_TEXT, yogaLogger } from './logging.js';

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

describe('a logged error', () => {
  /** An upstream failure whose message and stack both quote the caller's header, as a careless library might. */
  function leakyError(): Error {
    const error = Object.assign(new Error('GET /workflows failed; sent Authorization: Bearer abc.def-message-secret'), { code: 'UND_ERR_SOCKET' });
    error.stack = `${error.message}\n    at request (client.js:1:1) with Bearer abc.def-stack-secret`;
    return error;
  }

  it('keeps its type, code, message and stack, each with the bearer token masked', () => {
    const { lines, logger } = capture();
    logger.error({ err: leakyError() }, 'upstream call failed');
    expect(lines.join('')).not.toContain('abc.def');
    const { err } = JSON.parse(lines[0]!);
    expect(err).toEqual({
      type: 'Error',
      code: 'UND_ERR_SOCKET',
      message: 'GET /workflows failed; sent Authorization: Bearer [redacted]',
      stack: expect.stringContaining('at request (client.js:1:1) with Bearer [redacted]'),
    });
  });

  it('is masked the same way when it reaches Yoga’s logger', () => {
    const { lines, logger } = capture();
    yogaLogger(logger).error(leakyError());
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('abc.def');
    expect(JSON.parse(lines[0]!).err.message).toContain('Bearer [redacted]');
  });

  it('reads a GraphQL error’s code from its extensions', () => {
    const { lines, logger } = capture();
    logger.error({ err: Object.assign(new Error('refused'), { extensions: { code: 'UPSTREAM_ERROR' } }) });
    expect(JSON.parse(lines[0]!).err).toMatchObject({ type: 'Error', code: 'UPSTREAM_ERROR', message: 'refused' });
  });

  it('is cut to about MAX_LOGGED_TEXT when its message is 100 KB, saying how much was left out', () => {
    const { lines, logger } = capture();
    const error = new Error(`${'x'.repeat(100_000)} Bearer abc.def-tail-secret`);
    logger.error({ err: error }, 'huge');
    const { err } = JSON.parse(lines[0]!);
    expect(err.message.startsWith('x'.repeat(MAX_LOGGED_TEXT))).toBe(true);
    expect(err.message).toMatch(/\.\.\. \[\d+ more\]$/);
    expect(err.message.length).toBeLessThan(MAX_LOGGED_TEXT + 50);
    expect(err.stack.length).toBeLessThan(MAX_LOGGED_TEXT + 50);
    // The whole line stays small: one hostile request cannot write 100 KB of log.
    expect(lines[0]!.length).toBeLessThan(3 * MAX_LOGGED_TEXT);
    expect(lines[0]).not.toContain('abc.def');
  });

  it('that is not an Error is logged as scrubbed text', () => {
    const { lines, logger } = capture();
    logger.error({ err: 'thrown string with Bearer abc.def-string-secret' });
    expect(JSON.parse(lines[0]!).err).toBe('thrown string with Bearer [redacted]');
  });
});
