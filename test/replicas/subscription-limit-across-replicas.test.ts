/**
 * LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN holds across the replicas of a deployment: a token's
 * subscriptions are counted in Redis per replica, so the one past the limit is refused whichever
 * replica it reaches, and the counts of a replica that dies expire with it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { endOf, EXECUTION_STARTED, watch, type Watch } from '../support/live.js';
import type { GatewayProcess } from '../support/process.js';
import { CURSOR_SECRET, metricsOf, replicaWorld } from '../support/replicas.js';
import { until } from '../support/wait.js';

const authorization = bearer(DEMO_TOKENS.acme);
const LIMIT = 3;
const world = replicaWorld();
let workflowIds: string[];

beforeAll(() => {
  // A workflow per subscription that is let in (each one's topic shows it was).
  world.simulator.cloneWorkflow(world.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id, 4);
  workflowIds = world.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id);
});

describe('the per-token subscription limit with Redis', () => {
  it('holds across replicas, and frees the places of a replica that died', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET, LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: String(LIMIT) });
    const opened: Array<Watch<unknown>> = [];
    world.cleanup.push(() => Promise.all(opened.map((w) => w.close())));
    let open = 0;
    /**
     * Opens an executionStarted on `replica`, each on a workflow of its own so that each makes a
     * topic once admitted; says whether it was admitted or refused.
     */
    const subscribe = async (replica: GatewayProcess): Promise<'open' | 'refused'> => {
      const before = await topics(replica);
      const w = watch('sse', replica.url, EXECUTION_STARTED, { authorization, variables: { workflowId: workflowIds[open] } });
      opened.push(w);
      await until('the subscription to be admitted or refused', async () => !w.isOpen() || (await topics(replica)) > before, { timeoutMs: 20_000, everyMs: 50 });
      if (w.isOpen()) {
        open++;
        return 'open';
      }
      await endOf(w);
      expect(w.codes).toContain('RATE_LIMITED');
      return 'refused';
    };

    expect([await subscribe(a), await subscribe(a), await subscribe(b)]).toEqual(['open', 'open', 'open']);
    expect(await subscribe(b)).toBe('refused');
    expect(await subscribe(a)).toBe('refused');

    a.child.kill('SIGKILL');
    await a.exited;
    // A's two places come back once its heartbeat runs out.
    let freed = 0;
    for (let tries = 0; tries < 40 && freed < 2; tries++) if ((await subscribe(b)) === 'open') freed++;
    expect(freed).toBe(2);
    expect(await subscribe(b)).toBe('refused');
  }, 60_000);
});

/** Topics the replica has subscribers of: one per admitted subscription here. */
async function topics(replica: GatewayProcess): Promise<number> {
  const text = await metricsOf(replica);
  return Number(/^live_topics (\d+)$/m.exec(text)?.[1] ?? 0);
}
