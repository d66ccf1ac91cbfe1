/** FairShare's lanes: a tenant's polls neither wait behind its requests nor take their slots. */
import { describe, expect, it } from 'vitest';
import { FairShare, pollsPerTenant } from './fair-share.js';

/** A call that runs until `release()`; `started` tells whether it got its slot. */
function held(share: FairShare, tenant: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const call = { started: false, release, done: Promise.resolve() };
  call.done = share.run(tenant, () => {
    call.started = true;
    return gate;
  });
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
