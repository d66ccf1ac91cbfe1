import { describe, expect, it } from 'vitest';
import { ReadAnswers } from './answers.js';

/** An answer text of `length` characters, different for each `tag`. */
const textOf = (tag: string, length = 10_000) => `${tag}:${'x'.repeat(length)}`.slice(0, length);
const PAGE = '/workflows/wf-1/executions?page=1';

/** A reader that counts its calls and reads each text to a new record. */
function reader() {
  const reader = { calls: 0, of: (text: string) => () => (reader.calls++, { items: [{ id: text.slice(0, 12), logs: [{ id: 1, output: { deep: [1] } }] }] }) };
  return reader;
}

describe('ReadAnswers', () => {
  it('reads an answer that came once, keeps it when the same text comes again, and reads it no more', () => {
    const answers = new ReadAnswers();
    const read = reader();
    const text = textOf('page 1');
    const first = answers.read('tenant-a', PAGE, text, read.of(text));
    const second = answers.read('tenant-a', PAGE, text, read.of(text));
    // The same characters in another string: what a later answer would be.
    const third = answers.read('tenant-a', PAGE, (' ' + text).slice(1), read.of(text));
    expect(read.calls).toBe(2);
    expect(third).toBe(second);
    expect(first).not.toBe(second);
    expect(first).toEqual(second);
  });

  it('reads again an answer that changed, or the same text at another path or for another tenant', () => {
    const answers = new ReadAnswers();
    const read = reader();
    const text = textOf('page 1');
    answers.read('tenant-a', PAGE, text, read.of(text));
    answers.read('tenant-a', PAGE, text, read.of(text));
    expect(read.calls).toBe(2);
    answers.read('tenant-b', PAGE, text, read.of(text));
    answers.read('tenant-a', '/workflows/wf-2/executions?page=1', text, read.of(text));
    answers.read('tenant-a', '/workflows/wf-1/executions?page=2', text, read.of(text));
    expect(read.calls).toBe(5);
    const changed = textOf('page 1, changed');
    answers.read('tenant-a', PAGE, changed, read.of(changed));
    expect(read.calls).toBe(6);
    // Only the last answer at a path counts: the earlier text is read again.
    answers.read('tenant-a', PAGE, text, read.of(text));
    expect(read.calls).toBe(7);
  });

  it('freezes what it keeps, all the way down', () => {
    const answers = new ReadAnswers();
    const text = textOf('kept');
    const read = reader();
    answers.read('tenant-a', PAGE, text, read.of(text));
    const kept = answers.read('tenant-a', PAGE, text, read.of(text));
    expect(() => kept.items[0]!.logs[0]!.output.deep.push(2)).toThrow(TypeError);
    expect(Object.isFrozen(kept.items[0])).toBe(true);
  });

  it('reads a short answer, and one too long to share the space, every time', () => {
    const answers = new ReadAnswers();
    const read = reader();
    for (const text of [textOf('short', 2_000), textOf('long', 300_000)]) {
      for (let i = 0; i < 3; i++) answers.read('tenant-a', PAGE, text, read.of(text));
    }
    expect(read.calls).toBe(6);
  });

  it('lets the least recently used answers go past its bound', () => {
    const answers = new ReadAnswers();
    const read = reader();
    const texts = Array.from({ length: 40 }, (_, i) => textOf(`page ${i}`, 100_000));
    const readAt = (i: number) => answers.read('tenant-a', `/workflows/wf-${i}/executions?page=1`, texts[i]!, read.of(texts[i]!));
    // Each page twice in a row: each is kept.
    texts.forEach((_, i) => [readAt(i), readAt(i)]);
    expect(read.calls).toBe(80);
    // 40 answers of 100,000 characters are twice the bound: the last ones stay, the first ones went.
    readAt(39);
    expect(read.calls).toBe(80);
    readAt(0);
    expect(read.calls).toBe(81);
  });
});
