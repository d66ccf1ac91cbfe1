import { describe, expect, it } from 'vitest';
import type { Message } from './coordinator.js';
import { Listener } from './listener.js';
import type { Json } from './types.js';

/** A listener whose deliveries are recorded; events are strings, their own identity. */
function listening(stored: Message[] = [], states = false) {
  const delivered: Json[] = [];
  const ended: Message[] = [];
  const listener = new Listener(
    {
      deliver: (events) => delivered.push(...events),
      end: (message) => ended.push(message),
      recent: () => Promise.resolve(stored.map((m) => JSON.stringify(m))),
      note: () => {},
      report: (error) => {
        throw error;
      },
    },
    { identify: (event) => event as string, states },
  );
  return { listener, delivered, ended };
}

const message = (epoch: string, seq: number, at: number, events: string[], extra: Partial<Message> = {}): Message => ({ epoch, seq, at, events, ...extra });
const raw = (...messages: Message[]): string[] => messages.map((m) => JSON.stringify(m));

describe('Listener', () => {
  it('takes the stored messages as the past when it joins, and delivers what comes after in order', () => {
    const { listener, delivered } = listening();
    const t = Date.now();
    listener.joined(raw(message('e', 1, t - 3000, ['pending']), message('e', 2, t - 2000, ['running|1'])), true);
    expect(delivered).toEqual([]);
    expect(listener.last).toEqual({ event: 'running|1' });
    listener.hear(JSON.stringify(message('e', 2, t - 2000, ['running|1'])));
    listener.hear(JSON.stringify(message('e', 3, t - 1000, ['running|2'])));
    expect(delivered).toEqual(['running|2']);
  });

  it('started while Redis was down: stored messages polled before it started are the past when Redis returns', () => {
    const { listener, delivered } = listening();
    const started = Date.now();
    listener.standAlone();
    // Its own replica's polls, meanwhile.
    listener.hear(JSON.stringify(message('local:a', 1, started + 1000, ['running|3'])));
    listener.hear(JSON.stringify(message('local:a', 2, started + 2000, ['running|4'])));
    // Redis is back, with what another replica polled before the outage and after it.
    listener.joined(
      raw(
        message('b', 4, started - 5000, ['running|1']),
        message('b', 5, started - 4000, ['running|2']),
        message('b', 6, started + 3000, ['completed'], { done: true }),
      ),
      true,
    );
    expect(delivered).toEqual(['running|3', 'running|4', 'completed']);
  });

  it('started while Redis was down, before its first poll: runs stored from before it started are never sent', () => {
    const { listener, delivered, ended } = listening();
    const started = Date.now();
    listener.standAlone();
    listener.joined(raw(message('b', 1, started - 2000, ['run_1'], { done: true })), true);
    expect(delivered).toEqual([]);
    expect(ended).toEqual([]);
    listener.hear(JSON.stringify(message('b', 2, started + 1000, ['run_2'])));
    expect(delivered).toEqual(['run_2']);
  });

  it('cut off from Redis while another replica still polled: what that poller stored before its own polls is skipped', () => {
    const { listener, delivered } = listening();
    const t = Date.now();
    listener.joined(raw(message('b', 1, t, ['running|1'])), true);
    // The replica lost Redis; it polls alone.
    listener.hear(JSON.stringify(message('local:a', 1, t + 3000, ['running|3'])));
    // Back: the other replica's messages it missed, two from before its own last poll, one after.
    listener.resync(raw(message('b', 2, t + 1000, ['running|2']), message('b', 3, t + 2500, ['running|3']), message('b', 4, t + 4000, ['running|4'])));
    expect(delivered).toEqual(['running|3', 'running|4']);
    // Their numbers count as heard: the next message is no gap.
    listener.hear(JSON.stringify(message('b', 5, t + 5000, ['running|5'])));
    expect(listener.state).toBe('listening');
    expect(delivered).toEqual(['running|3', 'running|4', 'running|5']);
  });

  it('states: drops a copy of the last one delivered, and sends a state that comes back later', () => {
    const { listener, delivered } = listening([], true);
    const t = Date.now();
    listener.joined(raw(message('a', 1, t, ['running|1'])), true);
    listener.hear(JSON.stringify(message('a', 2, t + 1000, ['awaiting|1'])));
    listener.hear(JSON.stringify(message('a', 3, t + 2000, ['running|1'])));
    // A poller taking over without stored state publishes the run as it is: the same state.
    listener.hear(JSON.stringify(message('b', 1, t + 3000, ['running|1'])));
    listener.hear(JSON.stringify(message('b', 2, t + 4000, ['completed|2'], { done: true })));
    expect(delivered).toEqual(['awaiting|1', 'running|1', 'completed|2']);
  });

  it('events that happen once: drops a copy of any delivered recently', () => {
    const { listener, delivered } = listening();
    const t = Date.now();
    listener.joined([], true);
    listener.hear(JSON.stringify(message('local:a', 1, t + 1000, ['run_1'])));
    listener.hear(JSON.stringify(message('local:a', 2, t + 2000, ['run_2'])));
    // Another replica's poller saw both in one later poll.
    listener.resync(raw(message('b', 1, t + 2500, ['run_1', 'run_2', 'run_3'])));
    expect(delivered).toEqual(['run_1', 'run_2', 'run_3']);
  });

  it('repairs a gap from the stored messages, in order', async () => {
    const t = Date.now();
    const stored = [message('e', 1, t, ['a']), message('e', 2, t + 1, ['b']), message('e', 3, t + 2, ['c'])];
    const { listener, delivered } = listening(stored);
    listener.joined(raw(stored[0] as Message), true);
    listener.hear(JSON.stringify(stored[2]));
    expect(listener.state).toBe('repairing');
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual(['b', 'c']);
    expect(listener.state).toBe('listening');
  });
});
