// The request rules of the write endpoints, written the way Laravel's validator reports them:
// field -> messages, with Laravel's wording, so a 422 from the simulator reads like a real one.
//
// A trigger node is a node whose `type` is "trigger" (the seed's graphs use that type for their
// schedule, manual, webhook and sync request triggers); a workflow needs exactly one.

import type { FieldErrors } from './laravel.js';

export const SCHEDULE_TYPES = ['manual', 'interval', 'cron', 'daily', 'weekly', 'monthly'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const present = (value: unknown): boolean => value !== undefined && value !== null && value !== '';
const words = (field: string): string => field.replace(/_/g, ' ');

/** The body as an object of fields; Laravel reads anything else (no body, a JSON array) as no fields. */
export const fieldsOf = (body: unknown): Record<string, unknown> => (isObject(body) ? body : {});

class Rules {
  readonly errors: FieldErrors = {};
  add(field: string, text: string): void {
    (this.errors[field] ??= []).push(text);
  }
  required(input: Record<string, unknown>, field: string): boolean {
    if (present(input[field])) return true;
    this.add(field, `The ${words(field)} field is required.`);
    return false;
  }
  string(input: Record<string, unknown>, field: string, min: number, max: number): void {
    const value = input[field];
    if (!present(value)) return;
    if (typeof value !== 'string') return this.add(field, `The ${words(field)} field must be a string.`);
    // Characters as Laravel counts them (mb_strlen: code points), not UTF-16 units.
    const length = [...value].length;
    if (length < min) this.add(field, `The ${words(field)} field must be at least ${min} characters.`);
    if (length > max) this.add(field, `The ${words(field)} field must not be greater than ${max} characters.`);
  }
}

export interface WorkflowRulesContext {
  /** The caller's organisation's authorizations. */
  authorizationIds: ReadonlySet<string>;
}

/** A whole definition (create, validate, or an update merged onto the stored workflow). */
export function validateWorkflow(input: Record<string, unknown>, { authorizationIds }: WorkflowRulesContext): FieldErrors {
  const rules = new Rules();
  if (rules.required(input, 'name')) rules.string(input, 'name', 1, 255);
  if (present(input.description) && typeof input.description !== 'string') rules.add('description', 'The description field must be a string.');
  if (rules.required(input, 'authorization_id') && !authorizationIds.has(String(input.authorization_id))) {
    rules.add('authorization_id', 'The selected authorization id is invalid.');
  }

  const nodeIds = new Set<string>();
  if (rules.required(input, 'nodes')) {
    const nodes = input.nodes;
    if (!Array.isArray(nodes)) rules.add('nodes', 'The nodes field must be an array.');
    else if (nodes.length < 1) rules.add('nodes', 'The nodes field must have at least 1 items.');
    else {
      nodes.forEach((node: unknown, i) => {
        const fields = fieldsOf(node);
        if (typeof fields.id !== 'string' || fields.id === '') rules.add(`nodes.${i}.id`, `The nodes.${i}.id field is required.`);
        else if (nodeIds.has(fields.id)) rules.add(`nodes.${i}.id`, `The nodes.${i}.id field has a duplicate value.`);
        else nodeIds.add(fields.id);
        if (typeof fields.type !== 'string' || fields.type === '') rules.add(`nodes.${i}.type`, `The nodes.${i}.type field is required.`);
        const componentId = fieldsOf(fields.data).componentId;
        if (typeof componentId !== 'string' || componentId === '') {
          rules.add(`nodes.${i}.data.componentId`, `The nodes.${i}.data.componentId field is required.`);
        }
      });
      const triggers = nodes.filter((node: unknown) => fieldsOf(node).type === 'trigger').length;
      if (triggers !== 1) rules.add('nodes', `A workflow must have exactly one trigger node (type "trigger"), found ${triggers}.`);
    }
  }

  if (present(input.edges)) {
    if (!Array.isArray(input.edges)) rules.add('edges', 'The edges field must be an array.');
    else {
      input.edges.forEach((edge: unknown, i) => {
        const fields = fieldsOf(edge);
        for (const end of ['source', 'target'] as const) {
          if (typeof fields[end] !== 'string' || !nodeIds.has(fields[end])) rules.add(`edges.${i}.${end}`, `The edges.${i}.${end} field must name a node of the workflow.`);
        }
      });
    }
  }

  if (input.is_active !== undefined && typeof input.is_active !== 'boolean') rules.add('is_active', 'The is active field must be true or false.');
  const type = input.schedule_type;
  if (present(type) && !(SCHEDULE_TYPES as readonly unknown[]).includes(type)) rules.add('schedule_type', 'The selected schedule type is invalid.');
  if ((type === 'interval' || type === 'cron') && !present(input.schedule_value)) {
    rules.add('schedule_value', `The schedule value field is required when schedule type is ${type}.`);
  }
  if (present(input.schedule_value) && typeof input.schedule_value !== 'string') rules.add('schedule_value', 'The schedule value field must be a string.');
  return rules.errors;
}

export const API_KEY_PREFIX = 'api-key:';

/**
 * Vault create (`replace` false) or replace (`replace` true, where `secret` is always required).
 * On create a name starting `api-key:` may leave the secret out: the simulator then makes one.
 */
export function validateVaultItem(input: Record<string, unknown>, now: number, replace: boolean): FieldErrors {
  const rules = new Rules();
  if (rules.required(input, 'name')) rules.string(input, 'name', 3, 50);
  const generated = !replace && typeof input.name === 'string' && input.name.startsWith(API_KEY_PREFIX);
  if (generated ? present(input.secret) : rules.required(input, 'secret')) rules.string(input, 'secret', 1, 2000);
  const expires = input.expires_at;
  if (present(expires)) {
    const at = typeof expires === 'string' ? Date.parse(expires) : Number.NaN;
    if (Number.isNaN(at)) rules.add('expires_at', 'The expires at field must be a valid date.');
    else if (at <= now) rules.add('expires_at', 'The expires at field must be a date after now.');
  }
  return rules.errors;
}

/** Execute, rerun and resume take an optional `context` object. */
export function validateContext(input: Record<string, unknown>): FieldErrors {
  const rules = new Rules();
  if (input.context !== undefined && input.context !== null && !isObject(input.context)) rules.add('context', 'The context field must be an array.');
  return rules.errors;
}

export const hasErrors = (errors: FieldErrors): boolean => Object.keys(errors).length > 0;
