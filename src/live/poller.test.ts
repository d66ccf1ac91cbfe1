/**
 * A poller's choices of where to go on from, step by step against a scripted coordinator: what it
 * asks when it takes a lease, and the state its polls start from.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Coordinator, Reach } from './coordinator.js';
import { Poller, type Rest } from './poller.js';
import type { Json } from './types.js';

const INTERVAL = 1_000;

type Lease = Awaited<ReturnType<Coordinator['acquire']>>;

/** A coordinator whose reach and acquire answers the test sets; it records every acquire's `afresh`. */
class Script {
  reach: Reach = 'up';
  lease: Lease = 'held';
  renews = true;
  readonly afresh: boolean[] = [];
  readonly coordinator = {
    reach: () => this.reach,
    acquire: (_topic: string, _owner: string, afresh: boolean) => {
      this.afresh.push(afresh);
      return Promise.resolve(this.lease);
    },
    renew: () => Promise.resolve(this.renews),
    commit: () => Promise.resolve(this.renews),
    release: () => Promise.resolve(),
  } as unknown as Coordinator;
}

/** A poller whose source answers the upstream's `truth` and records the state each poll starts from. */
function pollerOn(script: Script, restHint?: Rest) {
  const from: Array<Json | undefined> = [];
  let truth = 0;
  const poller = new Poller(
    'topic',
    'me:1',
    () => ({
      poll: (state) => {
        from.push(state);
        return Promise.resolve({ events: [], state: truth });
      },
    }),
    () => {},
    { coordinator: script.coordinator, intervalMs: INTERVAL, maxBackoffMs: 30 * INTERVAL, random: () => 0.5, report: () => {} },
    restHint,
  );
  /** One step, and the poll it starts, settled; the clock moves past the pace first. */
  const step = async (upstream: number) => {
    truth = upstream;
    (poller as unknown as { notBefore: number }).notBefore = 0;
    await poller.step();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { poller, from, step };
}

describe('where a poller goes on from', () => {
  it('does not go on from its rest once another replica polled the topic since: Redis’s stored state, or a baseline of its own', async () => {
    const script = new Script();
    const rest: Rest = { until: 0, failures: 0, record: { epoch: 'e', seq: 3, state: 3 } };
    const { from, step } = pollerOn(script, rest);
    await step(5); // another replica holds the lease and polls on from 3
    script.lease = { stored: null }; // then Redis loses its data
    await step(9);
    expect(script.afresh).toEqual([true, false]); // it had its rest, then found another at work
    expect(from).toEqual([undefined]); // a baseline, not the rest's 3: the runs 4 to 9 were another's to send
  });

  it('goes on from what it polled after taking its lease back with nothing stored', async () => {
    const script = new Script();
    script.lease = { stored: JSON.stringify({ epoch: 'e', seq: 1, state: 2 }) };
    const { from, step } = pollerOn(script);
    await step(4);
    script.renews = false; // Redis lost its data: the lease is gone
    script.lease = { stored: null };
    await step(6); // the lease is taken back at once (a poll waits for the pace)
    script.renews = true;
    await step(6);
    await step(7);
    expect(from).toEqual([2, 4, 6]);
    expect(script.afresh).toEqual([true, true]);
  });

  it('polls alone from a baseline, not from a state another replica has moved past', async () => {
    const script = new Script();
    script.lease = { stored: JSON.stringify({ epoch: 'e', seq: 1, state: 2 }) };
    const { from, step } = pollerOn(script);
    await step(4);
    script.renews = false; // another replica takes the topic over
    script.lease = 'held';
    await step(6);
    script.reach = 'down'; // then Redis goes: each replica polls alone
    await step(80);
    expect(from).toEqual([2, undefined]);
  });
});

describe('a poller whose clock is set back', () => {
  it('goes on polling every step: the pace from its last call never waits more than an interval', async () => {
    const script = new Script();
    script.lease = { stored: null };
    let polls = 0;
    const poller = new Poller(
      'topic',
      'me:1',
      () => ({
        poll: (_state, _signal, sent) => {
          sent();
          polls++;
          return Promise.resolve({ events: [], state: polls });
        },
      }),
      () => {},
      { coordinator: script.coordinator, intervalMs: 50, maxBackoffMs: 1_000, random: () => 0.5, report: () => {} },
    );
    const stepAndPoll = async () => {
      await poller.step();
      await new Promise((resolve) => setTimeout(resolve, 60));
    };
    await stepAndPoll();
    const realNow = Date.now;
    const setBack = realNow() - 60_000;
    const started = realNow();
    vi.spyOn(Date, 'now').mockImplementation(() => setBack + (realNow() - started));
    try {
      for (let i = 0; i < 3; i++) await stepAndPoll();
    } finally {
      vi.restoreAllMocks();
      await poller.stop();
    }
    expect(polls).toBe(4);
  });
});
