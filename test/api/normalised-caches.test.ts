/**
 * What a normalising client cache (Apollo Client keys an object by `__typename` and `id`, Relay by
 * `id`) makes of the gateway's answers: every `id` a client is offered names one object only, so
 * no two objects of an answer are merged into one. A workflow graph's node and edge ids are unique
 * within their workflow only, so the schema offers them as `nodeId` and `edgeId` (its `id` there is
 * deprecated, and shown here to collide).
 */
import { describe, expect, it } from 'vitest';
import { stackWorld } from '../support/stack.js';

const world = stackWorld({ stepMs: 60_000 });

/** Every object of an answer that has an `id`, with where it was found. */
function objectsWithIds(value: unknown, path = '', found: Array<{ path: string; object: Record<string, unknown> }> = []) {
  if (Array.isArray(value)) value.forEach((item, i) => objectsWithIds(item, `${path}[${i}]`, found));
  else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    if (typeof object.id === 'string') found.push({ path, object });
    for (const [key, child] of Object.entries(object)) objectsWithIds(child, `${path}.${key}`, found);
  }
  return found;
}

/**
 * Pairs of objects Apollo Client's default cache key (`__typename:id`) would merge though they
 * differ: a field both were asked for with two values. (The same object asked for other fields
 * in two places is merged rightly.)
 */
function merged(data: unknown): string[] {
  const byKey = new Map<string, { path: string; object: Record<string, unknown> }>();
  const clashes: string[] = [];
  for (const entry of objectsWithIds(data)) {
    const key = `${String(entry.object.__typename)}:${String(entry.object.id)}`;
    const seen = byKey.get(key);
    const differ = (field: string) => field in entry.object && JSON.stringify(seen!.object[field]) !== JSON.stringify(entry.object[field]);
    if (seen && Object.keys(seen.object).some(differ)) clashes.push(`${key} at ${seen.path} and ${entry.path}`);
    byKey.set(key, entry);
  }
  return clashes;
}

const GRAPHS = (node: string, edge: string) => `{
  workflows(first: 10) {
    nodes {
      __typename id name
      graph { nodes { __typename ${node} type componentId data } edges { __typename ${edge} source target } }
      executions(first: 3) { nodes { __typename id status logs { __typename id nodeId status } workflow { __typename id name } } }
    }
  }
}`;

describe('ids in an answer, as a normalising cache reads them', () => {
  it('name one object each: workflows, runs, logs, and graph nodes and edges by nodeId and edgeId', async () => {
    const response = await world.stack.gql(GRAPHS('nodeId', 'edgeId'));
    expect(response.errors).toBeUndefined();
    expect(objectsWithIds(response.data).length).toBeGreaterThan(50);
    expect(merged(response.data)).toEqual([]);
    // Each edge names nodes of its own graph.
    for (const workflow of response.data.workflows.nodes as Array<{ graph: { nodes: Array<{ nodeId: string }>; edges: Array<{ source: string; target: string }> } }>) {
      const ids = new Set(workflow.graph.nodes.map((node) => node.nodeId));
      for (const edge of workflow.graph.edges) expect([ids.has(edge.source), ids.has(edge.target)]).toEqual([true, true]);
    }
  });

  it('would merge the nodes of different workflows through the deprecated graph `id`, which is why it is deprecated', async () => {
    const response = await world.stack.gql(GRAPHS('id nodeId', 'id edgeId'));
    expect(response.errors).toBeUndefined();
    expect(merged(response.data).length).toBeGreaterThan(0);
    for (const workflow of response.data.workflows.nodes as Array<{ graph: { nodes: Array<{ id: string; nodeId: string }>; edges: Array<{ id: string; edgeId: string }> } }>) {
      for (const node of workflow.graph.nodes) expect(node.nodeId).toBe(node.id);
      for (const edge of workflow.graph.edges) expect(edge.edgeId).toBe(edge.id);
    }
  });
});
