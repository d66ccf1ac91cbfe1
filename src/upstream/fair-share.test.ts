/** FairShare's lanes (a tenant's polls neither wait behind its requests nor take their slots), and waits that outlive their deadline. */
import { describe, expect, it } from 'vitest';
import { FairShare, pollsPerTenant, WaitExpired, type WaitLimits } from './fair-share.js';

/** A call that runs until `release()`; `started` tells whether it got its slot, `failed` why its wait ended without one. */
function held(share: FairShare, tenant: string, limits?: WaitLimits) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const call = { started: false, failed: undefined as unknown, release, done: Promise.resolve() };
  call.done = share
    .run(
      tenant,
      () => {
        call.started = true;
        return gate;
      },
      limits,
    )
    .catch((error: unknown) => void (call.failed = error));
  return call;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the polls lane of a tenant', () => {
  it('runs a poll at once while the tenant’s requests fill its share and queue, and keeps polls to their own bound', async () => {
    const requests = new FairShare({ capacity: 32, perTenant: 8 });
    const polls = requests.forPolls();
    const running = Array.from({ length: 8 }, () => held(requests, 't'));
    const queued = Array.from({ length: 5 }, () => held(requests, 't'));
    await tick();
    expect(running.every((c) => c.started)).toBe(true);
    expect(queued.some((c) => c.started)).toBe(false);

    expect(pollsPerTenant(8)).toBe(1);
    const poll = held(polls, 't');
    const nextPoll = held(polls, 't');
    await tick();
    expect(poll.started).toBe(true);
    expect(nextPoll.started).toBe(false); // the lane's bound, though the process has room

    // A freed poll slot goes to the next poll, never to a waiting request; a freed request slot to a request.
    poll.release();
    await tick();
    expect(nextPoll.started).toBe(true);
    expect(queued.some((c) => c.started)).toBe(false);
    running[0]!.release();
    await tick();
    expect(queued[0]!.started).toBe(true);
    expect(requests.running).toBe(8 + 1);

    for (const call of [...running, ...queued, nextPoll]) call.release();
    await Promise.all([...running, ...queued, poll, nextPoll].map((c) => c.done));
    expect(requests.running).toBe(0);
  });
});

describe('a wait whose deadline passes', () => {
  /** A deadline the test ends. */
  const deadline = () => {
    const d = { passed: false, remainingMs: () => (d.passed ? -1 : 60_000) };
    return d;
  };

  it('ends without the slot: at once when its turn comes, and within a sweep wherever it waits', async () => {
    const share = new FairShare({ capacity: 8, perTenant: 1 });
    const first = held(share, 't');
    const [early, late] = [deadline(), deadline()];
    const next = held(share, 't');
    const atTheHead = held(share, 't', { deadline: early });
    const then = held(share, 't');
    const deepInTheQueue = held(share, 't', { deadline: late });
    const last = held(share, 't');
    await tick();
    first.release(); // the first freed slot also looks at every waiter: none has expired
    await tick();
    expect(next.started).toBe(true);

    early.passed = true;
    late.passed = true;
    next.release(); // its turn has come: it goes without the slot, which passes on
    await tick();
    expect(atTheHead.failed).toBeInstanceOf(WaitExpired);
    expect(atTheHead.started).toBe(false);
    expect(then.started).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 150)); // longer than a sweep's interval
    then.release(); // this freed slot looks at every waiter again
    await tick();
    expect(deepInTheQueue.failed).toBeInstanceOf(WaitExpired);
    expect(deepInTheQueue.started).toBe(false);
    expect(last.started).toBe(true);
    last.release();
    await Promise.all([first, next, atTheHead, then, deepInTheQueue, last].map((c) => c.done));
    expect(share.running).toBe(0);
  });
});
