/**
 * Full-jitter, capped exponential reconnect backoff for the kiosk's HQ link (and anyone holding an mqtt.js client):
 * the wait before the n-th reconnect attempt since the last CONNACK is random(0, min(capMs, baseMs · 2^n)). The code
 * lives in kernel/reconnect-backoff.ts so HQ's long-lived clients (hq ingest, hq serve, hq watch) use the same one.
 */
export { applyReconnectBackoff, fullJitterDelay, type BackoffPolicy } from '../../kernel/reconnect-backoff';
