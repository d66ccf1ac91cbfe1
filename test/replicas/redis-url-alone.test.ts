/**
 * REDIS_URL alone is enough to share pollers: replicas with no CURSOR_SECRET derive the key that
 * names their shared topics from the Redis credentials, so a run watched on both is read by one
 * poller. A REDIS_URL without a password cannot give such a key: the gateway refuses to start,
 * naming CURSOR_SECRET.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { EXECUTION_UPDATED, watch, type RunEvent } from '../support/live.js';
import { spawnGateway } from '../support/process.js';
import { courseOf, expectCourse, expectOnePoller, runReads, startReplicas, startRun, STEP_MS } from '../support/replicas.js';

const authorization = bearer(DEMO_TOKENS.acme);
let redis: RedisProcess;
let simulator: Simulator;
let workflowId: string;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  redis = await startRedis({ password: 'redis-password-shared-by-the-replicas' });
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

describe('REDIS_URL without CURSOR_SECRET', () => {
  it('shares one poller per run between replicas when the URL carries a password', async () => {
    const [a, b] = await startReplicas(2, { ALTOSTRAT_API_URL: simulator.url, REDIS_URL: redis.url }, cleanup);
    const id = await startRun(a.url, authorization, workflowId);
    const watches = [
      watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
    ];
    cleanup.push(() => Promise.all(watches.map((w) => w.close())));
    for (const [i, w] of watches.entries()) await expectCourse(w, () => courseOf(simulator, workflowId, id), `subscriber ${i}`);
    expectOnePoller(runReads(simulator, id));
  });

  it('refuses to start when the URL has no password, naming CURSOR_SECRET', async () => {
    const open = await startRedis();
    cleanup.push(() => open.stop());
    const refusal = await spawnGateway({ ALTOSTRAT_API_URL: simulator.url, REDIS_URL: open.url }).then(
      (gateway) => {
        gateway.kill();
        return '';
      },
      (error: Error) => error.message,
    );
    expect(refusal).toContain('Configuration error');
    expect(refusal).toContain('CURSOR_SECRET');
  });
});
