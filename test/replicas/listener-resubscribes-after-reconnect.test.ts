/**
 * A replica whose Redis subscriber connection drops, and whose reconnect's handshake is slow,
 * still hears every topic it subscribes to: it subscribes only once the connection is ready,
 * again after every reconnect, and reads back what it missed. The subscriber on a replica that
 * does not poll hears every state of the run another replica polls.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { EXECUTION_STARTED, EXECUTION_UPDATED, until, watch, type RunEvent, type Watch } from '../support/live.js';
import { courseOf, expectOnePoller, expectCourse, runReads, INTERVAL_MS, startReplicas, startRun, statesHeard, STEP_MS, get, untilAsync } from '../support/replicas.js';

const authorization = bearer(DEMO_TOKENS.acme);
const PAUSE_MS = 1200;
let redis: RedisProcess;
let simulator: Simulator;
let workflowId: string;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  redis = await startRedis();
  simulator = await startSimulator({ stepMs: STEP_MS });
  workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await simulator.close();
  await redis.stop();
});

describe('a replica whose subscriber connection dropped', () => {
  it('hears every state of a run another replica polls, subscribed while its reconnect was slow', async () => {
    const [a, b] = await startReplicas(2, { ALTOSTRAT_API_URL: simulator.url, REDIS_URL: redis.url, CURSOR_SECRET: 'replicas-test-cursor-secret-0123456789abcdef' }, cleanup);
    const admin = new Redis(redis.url);
    cleanup.push(() => admin.quit());
    const id = await startRun(a.url, authorization, workflowId);
    const opened: Array<Watch<RunEvent>> = [];
    cleanup.push(() => Promise.all(opened.map((w) => w.close())));
    // A subscribes first, and so polls.
    opened.push(watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }));
    await until(() => opened[0]!.events.length > 0, 'the first state on A');
    // B listens to a topic of its own, so that its subscriber connection is one that drops.
    opened.push(watch<RunEvent>('ws', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }));
    await untilAsync(async () => /^live_channels_subscribed 1$/m.test(await (await get(b, '/metrics')).text()), 'B to listen to a channel');

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

    const course = () => courseOf(simulator, workflowId, id);
    for (const [i, w] of onB.entries()) await expectCourse(w, course, `subscriber ${i} on B\n${b.output()}`, since);
    await expectCourse(opened[0]!, course, 'the subscriber on A', since);
    // B only listened: the run was read by one poller.
    expect(statesHeard(onB[0]!).length).toBeGreaterThan(2);
    expectOnePoller(runReads(simulator, id));
  });
});
