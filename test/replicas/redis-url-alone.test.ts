/**
 * REDIS_URL alone is enough to share pollers: replicas with no CURSOR_SECRET derive the key that
 * names their shared topics from the Redis credentials, so a run watched on both is read by one
 * poller. A REDIS_URL without a password cannot give such a key: the gateway refuses to start,
 * naming CURSOR_SECRET.
 */
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { startRedis } from '../support/redis.js';
import { EXECUTION_UPDATED, watch, type RunEvent } from '../support/live.js';
import { spawnGateway } from '../support/process.js';
import { courseOf, expectCourse, expectOnePoller, replicaWorld, runReads, startRun } from '../support/replicas.js';

const authorization = bearer(DEMO_TOKENS.acme);
const world = replicaWorld({ redis: { password: 'redis-password-shared-by-the-replicas' } });

describe('REDIS_URL without CURSOR_SECRET', () => {
  it('shares one poller per run between replicas when the URL carries a password', async () => {
    const [a, b] = await world.startReplicas(2);
    const id = await startRun(a.url, authorization, world.workflowId);
    const watches = [
      watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
    ];
    world.cleanup.push(() => Promise.all(watches.map((w) => w.close())));
    for (const [i, w] of watches.entries()) await expectCourse(w, () => courseOf(world.simulator, world.workflowId, id), `subscriber ${i}`);
    expectOnePoller(runReads(world.simulator, id));
  });

  it('refuses to start when the URL has no password, naming CURSOR_SECRET', async () => {
    const open = await startRedis();
    world.cleanup.push(() => open.stop());
    const refusal = await spawnGateway({ ALTOSTRAT_API_URL: world.simulator.url, REDIS_URL: open.url }).then(
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
