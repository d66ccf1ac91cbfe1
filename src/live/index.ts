/**
 * The polling hub behind subscriptions: Altostrat does not push, so the gateway polls, once per
 * (token, resource) however many subscribers watch it. See hub.ts for the design; this is the
 * module's public surface.
 */
export { createLiveHub } from './hub.js';
export {
  LiveEnd,
  LiveLimitError,
  type Json,
  type LiveHub,
  type LiveHubOptions,
  type LiveEvent,
  type LiveMetrics,
  type LiveStats,
  type PollResult,
  type Source,
  type StreamEvents,
  type SubscribeOptions,
} from './types.js';
