/** The router: aliases -> deployments, load balancing, retries, cooldowns, fallbacks (see ./router). */
export { systemClock, type Clock } from './clock';
export {
  Router,
  retryDelayMs,
  RETRY_AFTER_CAP_MS,
  BACKOFF_MIN_MS,
  BACKOFF_MAX_MS,
  MAX_RATE_LIMIT_COOLDOWN_MS,
  type AttemptInfo,
  type RouteResult,
  type RouterEvent,
  type RouterOptions,
  type DeploymentHealth,
} from './router';
export {
  toClientError,
  unknownAliasError,
  didYouMean,
  isInsufficientQuota,
  CLIENT_ERROR_TABLE,
  INSUFFICIENT_QUOTA_RULE,
  DEFAULT_RETRY_AFTER_ESTIMATE_MS,
  type ClientErrorContext,
  type ClientErrorRule,
  type MessageParts,
} from './client-error';
export { redactSecrets, safeText } from './redact';
export { FAILURE_WINDOW_MS, LATENCY_EWMA_ALPHA } from './state';
