// The shapes a Laravel app answers with, shared by the routes and the fault injector: an answer
// as status, JSON body and headers, `{"message"}` bodies, and the 422 validation body whose
// `message` is the first error followed by "(and N more errors)", as Laravel 10+ writes it.

import { STATUS_CODES } from 'node:http';

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Field name -> messages, in the order the rules ran. */
export type FieldErrors = Record<string, string[]>;

export const message = (status: number, text: string, extra: object = {}): Answer => ({ status, body: { message: text, ...extra } });

// What Laravel's exception handler says for a status when the app gives no message of its own.
const LARAVEL_MESSAGES: Partial<Record<number, string>> = {
  401: 'Unauthenticated.',
  403: 'This action is unauthorized.',
  429: 'Too Many Attempts.',
  500: 'Server Error',
};
export const laravelMessage = (status: number): string => LARAVEL_MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error';

export function invalid(errors: FieldErrors): Answer {
  const all = Object.values(errors).flat();
  const more = all.length - 1;
  const text = `${all[0] ?? 'The given data was invalid.'}${more > 0 ? ` (and ${more} more error${more > 1 ? 's' : ''})` : ''}`;
  return message(422, text, { errors });
}

/** A 422 for one field, the way a failed precondition is reported. */
export const invalidField = (field: string, text: string): Answer => invalid({ [field]: [text] });
