// The simulator's data and the plain operations on it: organisations (by token), workflows with
// their runs (newest first) and logs, vault items with their secrets, authorizations, and the
// answers remembered per idempotency key. No HTTP here; every lookup that serves a request takes
// the caller's organisation, so another organisation's object is simply not found.

import type { Answer } from './laravel.js';
import type { AuthorizationJson, LogJson, RunJson, Seed, VaultItemJson, WorkflowJson } from './seed.js';

export interface WorkflowEntry {
  orgId: string;
  workflow: WorkflowJson;
  /** Newest first. */
  runs: RunJson[];
  /** The delegated account its runs act as; kept apart because the workflow JSON does not show it. */
  authorizationId: string;
}

export interface RunEntry {
  entry: WorkflowEntry;
  run: RunJson;
  /** The trigger's initial data, which a rerun starts from again. */
  context: Record<string, unknown>;
}

/** A log entry as the /logs endpoints show it: which run and workflow it belongs to. */
export interface LogEntryJson extends LogJson {
  execution_id: string;
  workflow_id: string;
}

interface VaultEntry {
  orgId: string;
  item: VaultItemJson;
  secret: string;
}

interface Remembered {
  method: string;
  path: string;
  answer: Answer;
  at: number;
}

/** How long an idempotency key holds, as the older revision of the reference says. */
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export class Store {
  private readonly orgByToken: Map<string, string>;
  private readonly entries = new Map<string, WorkflowEntry>();
  private readonly runIndex = new Map<string, RunEntry>();
  private readonly vault = new Map<string, VaultEntry>();
  private readonly authorizations = new Map<string, { orgId: string; authorization: AuthorizationJson }>();
  private readonly remembered = new Map<string, Remembered>();

  constructor(seed: Seed) {
    this.orgByToken = new Map(seed.organisations.map((org) => [org.token, org.id]));
    for (const { orgId, authorization } of seed.authorizations) this.authorizations.set(authorization.id, { orgId, authorization });
    for (const entry of seed.vault) this.vault.set(entry.item.id, entry);
    for (const { orgId, workflow, runs } of seed.workflows) {
      const authorizationId = seed.authorizations.find((a) => a.orgId === orgId)?.authorization.id ?? '';
      const entry = this.addWorkflow(orgId, workflow, authorizationId);
      entry.runs = runs;
      for (const run of runs) this.runIndex.set(run.id, { entry, run, context: {} });
    }
  }

  orgOf(token: string): string | undefined {
    return this.orgByToken.get(token);
  }

  // -- workflows and runs

  /** Every workflow of every organisation, in creation order. */
  allWorkflows(): WorkflowEntry[] {
    return [...this.entries.values()];
  }

  workflows(orgId: string): WorkflowEntry[] {
    return this.allWorkflows().filter((entry) => entry.orgId === orgId);
  }

  workflow(orgId: string, id: string): WorkflowEntry | undefined {
    const entry = this.entries.get(id);
    return entry?.orgId === orgId ? entry : undefined;
  }

  /** For the simulator's own API, which names workflows without a token. */
  entryOf(id: string): WorkflowEntry {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`No workflow ${id} in the simulator`);
    return entry;
  }

  addWorkflow(orgId: string, workflow: WorkflowJson, authorizationId: string): WorkflowEntry {
    const entry: WorkflowEntry = { orgId, workflow, runs: [], authorizationId };
    this.entries.set(workflow.id, entry);
    return entry;
  }

  /** Removes the workflow with its runs and their logs. */
  deleteWorkflow(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    for (const run of entry.runs) this.runIndex.delete(run.id);
    this.entries.delete(id);
  }

  run(orgId: string, runId: string): RunEntry | undefined {
    const found = this.runIndex.get(runId);
    return found?.entry.orgId === orgId ? found : undefined;
  }

  /** False once the run's workflow was deleted: a living run then stops. */
  holds(runId: string): boolean {
    return this.runIndex.has(runId);
  }

  /** Puts runs (newest first) at the head of their workflow's list. */
  addRuns(entry: WorkflowEntry, runs: RunJson[], context: Record<string, unknown> = {}): void {
    entry.runs.unshift(...runs);
    for (const run of runs) this.runIndex.set(run.id, { entry, run, context });
  }

  /** Log entries of these workflows' runs, newest first (ties keep run order, then reverse log order). */
  logsOf(entries: WorkflowEntry[]): LogEntryJson[] {
    const logs = entries.flatMap((entry) =>
      entry.runs.flatMap((run) => run.logs.map((log) => ({ ...log, execution_id: run.id, workflow_id: entry.workflow.id })).reverse()),
    );
    return logs.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  }

  // -- vault

  vaultItems(orgId: string): VaultItemJson[] {
    return [...this.vault.values()].filter((entry) => entry.orgId === orgId).map((entry) => entry.item);
  }

  vaultItem(orgId: string, id: string): VaultItemJson | undefined {
    const entry = this.vault.get(id);
    return entry?.orgId === orgId ? entry.item : undefined;
  }

  /** Creates or replaces an item; the secret stays here and is never part of `item`. */
  putVaultItem(orgId: string, item: VaultItemJson, secret: string): void {
    this.vault.set(item.id, { orgId, item, secret });
  }

  deleteVaultItem(id: string): void {
    this.vault.delete(id);
  }

  /** For tests of the simulator itself: what was stored, which no endpoint shows. */
  secretOf(id: string): string | undefined {
    return this.vault.get(id)?.secret;
  }

  // -- authorizations

  authorizationsOf(orgId: string): AuthorizationJson[] {
    return [...this.authorizations.values()].filter((entry) => entry.orgId === orgId).map((entry) => entry.authorization);
  }

  deleteAuthorization(orgId: string, id: string): boolean {
    if (this.authorizations.get(id)?.orgId !== orgId) return false;
    return this.authorizations.delete(id);
  }

  // -- idempotency

  /** The answer first given to this key by this organisation within the window, if any. */
  recall(orgId: string, key: string, now: number): Remembered | undefined {
    const found = this.remembered.get(`${orgId}\n${key}`);
    if (found && now - found.at < IDEMPOTENCY_WINDOW_MS) return found;
    this.remembered.delete(`${orgId}\n${key}`);
    return undefined;
  }

  remember(orgId: string, key: string, entry: Remembered): void {
    this.remembered.set(`${orgId}\n${key}`, entry);
  }
}
