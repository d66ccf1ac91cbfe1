/**
 * FairShare's lanes (a tenant's polls neither wait behind its requests nor take their slots),
 * guests (tokens Altostrat has not answered yet), and waits that outlive their deadline.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FairShare, pollsPerTenant, WaitExpired, type WaitLimits } from './fair-share.js';
import { deadlineIn } from './resilience.js';
import { until } from '../../test/support/wait.js';

/** A call that runs until `release()`; `started` tells whether it got its slot, `failed` why its wait ended without one. */
function held(share: FairShare, tenant: string, limits?: WaitLimits) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const call = { started: false, finished: false, failed: undefined as unknown, release, done: Promise.resolve() };
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
    requests.vouch('t');
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

describe('guests: tenants whose token Altostrat has not answered yet', () => {
  it('hold an eighth of a share each and a quarter of the slots together; tenants vouched for keep the rest', async () => {
    const share = new FairShare({ capacity: 16, perTenant: 8 });
    const guests = Array.from({ length: 40 }, (_, i) => [held(share, `made-up-${i}`), held(share, `made-up-${i}`)]).flat();
    share.vouch('known');
    const known = Array.from({ length: 8 }, () => held(share, 'known'));
    await tick();
    expect(guests.filter((c) => c.started)).toHaveLength(4); // 16 / 4, one each
    expect(new Set(guests.flatMap((c, i) => (c.started ? [Math.floor(i / 2)] : []))).size).toBe(4);
    expect(known.every((c) => c.started)).toBe(true);

    // A guest vouched for takes its whole share for its next calls.
    share.vouch('made-up-39');
    const vouched = Array.from({ length: 4 }, () => held(share, 'made-up-39'));
    await tick();
    expect(vouched.every((c) => c.started)).toBe(true);

    for (const call of [...guests, ...known, ...vouched]) call.release();
    // Each freed guest slot goes to the next guest in turn, until all have run.
    await until('every guest to run', () => guests.every((c) => c.started));
    await Promise.all([...guests, ...known, ...vouched].map((c) => c.done));
    expect(share.running).toBe(0);
  });
});

describe('a tenant vouched for while its calls wait as a guest’s', () => {
  it('holds its calls as a guest and as itself together to its share', async () => {
    const share = new FairShare({ capacity: 16, perTenant: 2 });
    // Not vouched for yet: one runs (a guest's share), the others wait as a guest's.
    const early = Array.from({ length: 6 }, () => held(share, 'acme'));
    await tick();
    expect(early.filter((c) => c.started)).toHaveLength(1);
    // Its first answer vouches for it: its next calls take its whole share, with the guest call still running.
    share.vouch('acme');
    const later = Array.from({ length: 6 }, () => held(share, 'acme'));
    const all = [...early, ...later];
    const running = () => all.filter((c) => c.started && !c.finished).length;
    let most = 0;
    for (let round = 0; round < 12 && all.some((c) => !c.finished); round++) {
      await tick();
      most = Math.max(most, running());
      const first = all.find((c) => c.started && !c.finished);
      first!.finished = true;
      first!.release();
    }
    await Promise.all(all.map((c) => c.done));
    expect(all.every((c) => c.started)).toBe(true);
    expect(most).toBeLessThanOrEqual(2);
  });
});

describe('a wait whose deadline passes', () => {
  /** A deadline the test ends. */
  const deadline = () => {
    const d = { passed: false, remainingMs: () => (d.passed ? -1 : 60_000) };
    return d;
  };

  it('ends without the slot when its turn comes after its deadline, and the slot passes on', async () => {
    const share = new FairShare({ capacity: 8, perTenant: 1 });
    const first = held(share, 't');
    const early = deadline();
    const atTheHead = held(share, 't', { deadline: early });
    const then = held(share, 't');
    await tick();
    early.passed = true;
    first.release();
    await tick();
    expect(atTheHead.failed).toBeInstanceOf(WaitExpired);
    expect(atTheHead.started).toBe(false);
    expect(then.started).toBe(true);
    then.release();
    await Promise.all([first, atTheHead, then].map((c) => c.done));
    expect(share.running).toBe(0);
  });

  it('ends at its deadline wherever it waits, while every slot stays busy', async () => {
    const share = new FairShare({ capacity: 8, perTenant: 1 });
    const busy = held(share, 't');
    const before = held(share, 't');
    const deepInTheQueue = held(share, 't', { deadline: deadlineIn(50) });
    const later = held(share, 't', { deadline: deadlineIn(100) });
    const after = held(share, 't');
    const outcome = await Promise.race([deepInTheQueue.done.then(() => 'ended'), new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'))]);
    expect(outcome).toBe('ended');
    expect(deepInTheQueue.failed).toBeInstanceOf(WaitExpired);
    await later.done;
    expect(later.failed).toBeInstanceOf(WaitExpired);
    // No slot freed meanwhile: the one call that holds it still runs, and the others still wait.
    expect([busy.started, before.started, after.started]).toEqual([true, false, false]);
    busy.release();
    await tick();
    expect(before.started).toBe(true);
    before.release();
    await tick();
    expect(after.started).toBe(true);
    after.release();
    await Promise.all([busy, before, after].map((c) => c.done));
    expect(share.running).toBe(0);
  });
});

describe('a request whose caller goes away', () => {
  it('puts one listener on its signal however many of its calls wait, and ends every wait when it aborts', async () => {
    const share = new FairShare({ capacity: 8, perTenant: 2 });
    share.vouch('t');
    const caller = new AbortController();
    const running = [held(share, 't'), held(share, 't')];
    const waiting = Array.from({ length: 30 }, () => held(share, 't', { signal: caller.signal }));
    await tick();
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    // A wait that gets its slot stops listening; the others still end with the caller.
    running[0]!.release();
    await tick();
    expect(waiting[0]!.started).toBe(true);
    caller.abort();
    await Promise.all(waiting.slice(1).map((c) => c.done));
    expect(waiting.slice(1).every((c) => !c.started && (c.failed as Error).name === 'AbortError')).toBe(true);
    waiting[0]!.release();
    running[1]!.release();
    await Promise.all([...running, waiting[0]!].map((c) => c.done));
    expect([waiting[0]!.failed, share.running]).toEqual([undefined, 0]);
  });
});
