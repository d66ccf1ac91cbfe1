import { describe, expect, it } from 'vitest';
import { asEntity } from './lookup.js';

describe('asEntity', () => {
  it('gives federation a copy it may mark with its type, and leaves a kept (frozen) record as it was', async () => {
    const record = Object.freeze({ id: 'fl_run_1', status: 'completed' });
    const entity = (await asEntity(Promise.resolve(record)))!;
    // What @apollo/subgraph does to each entity.
    Object.defineProperty(entity, '__typename', { value: 'WorkflowExecution' });
    expect(entity).toEqual(record);
    expect((entity as { __typename?: string }).__typename).toBe('WorkflowExecution');
    expect(Object.getOwnPropertyNames(record)).toEqual(['id', 'status']);
    expect(await asEntity(Promise.resolve(null))).toBeNull();
  });
});
