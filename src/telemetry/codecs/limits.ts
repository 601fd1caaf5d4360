/**
 * Limits applied to every message, whatever the codec. They protect storage and every consumer downstream
 * (rules, the realtime gateway, the UI) from one device's mistakes, and each has a reason:
 * - keys: 128 characters, printable, and free of `/`, `+`, `#` — keys travel in MQTT topics, URLs and rule
 *   expressions, where those characters are separators or wildcards;
 * - strings: 4,096 characters — telemetry is measurements and states, not documents;
 * - nested JSON: 8 levels and 16 KB serialized — enough for structured readings, small enough to index and push;
 * - 10,000 points per message — one message is one group-commit unit; bigger batches starve other devices;
 * - timestamps from 2000-01-01 to 24 h ahead of the server clock — earlier is almost always epoch seconds sent as
 *   milliseconds or an unset RTC, later is a broken clock, and both would poison "latest value" queries.
 */
export const TELEMETRY_LIMITS = Object.freeze({
  maxKeyLength: 128,
  maxStringLength: 4096,
  maxJsonDepth: 8,
  maxJsonBytes: 16 * 1024,
  maxPointsPerMessage: 10_000,
  /** 2000-01-01T00:00:00Z */
  minTimestamp: 946_684_800_000,
  maxFutureMs: 24 * 60 * 60 * 1000,
});
