/**
 * A replica whose Redis subscriber connection drops, and whose reconnect's handshake is slow,
 * still hears every topic it subscribes to: it subscribes only once the connection is ready,
 * again after every reconnect, and reads back what it missed. The subscriber on a replica that
 * does not poll hears every state of the run another replica polls.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { EXECUTION_STARTED, EXECUTION_UPDATED, watch, type RunEvent, type Watch } from '../support/live.js';
import { courseOf, CURSOR_SECRET, expectOnePoller, expectCourse, INTERVAL_MS, metricsOf, replicaWorld, runReads, startRun, statesHeard } from '../support/replicas.js';
import { until } from '../support/wait.js';

const authorization = bearer(DEMO_TOKENS.acme);
const PAUSE_MS = 1200;
const world = replicaWorld();

describe('a replica whose subscriber connection dropped', () => {
  it('hears every state of a run another replica polls, subscribed while its reconnect was slow', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    const admin = new Redis(world.redis.url);
    world.cleanup.push(() => admin.quit());
    const id = await startRun(a.url, authorization, world.workflowId);
    const opened: Array<Watch<RunEvent>> = [];
    world.cleanup.push(() => Promise.all(opened.map((w) => w.close())));
    // A subscribes first, and so polls.
    opened.push(watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }));
    await until('the first state on A', () => opened[0]!.events.length > 0);
    // B listens to a topic of its own, so that its subscriber connection is one that drops.
    opened.push(watch<RunEvent>('ws', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }));
    await until('B to listen to a channel', async () => /^live_channels_subscribed 1$/m.test(await metricsOf(b)), { timeoutMs: 20_000, everyMs: 50 });

    // Every subscriber connection drops, and nobody's reconnect finishes its handshake for a while.
    await admin.client('KILL', 'TYPE', 'pubsub');
    await admin.client('PAUSE', PAUSE_MS, 'ALL');
    // While Redis is paused the polling replica can store nothing: a state that comes and goes
    // then is lost to everyone. Every later one must reach every subscriber.
    const since = Date.now() + PAUSE_MS + INTERVAL_MS;
    const onB = [
      watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
    ];
    opened.push(...onB);

    const course = () => courseOf(world.simulator, world.workflowId, id);
    for (const [i, w] of onB.entries()) await expectCourse(w, course, `subscriber ${i} on B\n${b.output()}`, since);
    await expectCourse(opened[0]!, course, 'the subscriber on A', since);
    // B only listened: the run was read by one poller.
    expect(statesHeard(onB[0]!).length).toBeGreaterThan(2);
    expectOnePoller(runReads(world.simulator, id));
  });
});
