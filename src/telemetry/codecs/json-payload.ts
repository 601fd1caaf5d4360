import { isUtf8 } from 'node:buffer';
import type { Payload, Refusal } from './types.js';
import { refuse } from './types.js';

export type JsonParseOutcome = { ok: true; value: unknown } | Refusal;

/**
 * Bytes → JSON document, with the refusals devices need to see: `empty` for a zero-length or blank payload,
 * `malformed_json` for invalid UTF-8 (RFC 8259 §8.1) or a syntax error (with the parser's position).
 * A leading byte order mark is tolerated: some Windows tools write one.
 */
export function parseJsonPayload(payload: Payload): JsonParseOutcome {
  let text: string;
  if (typeof payload === 'string') {
    text = payload;
  } else {
    const bytes = asBuffer(payload);
    if (!isUtf8(bytes)) return refuse('malformed_json', 'payload is not valid UTF-8');
    text = bytes.toString('utf8');
  }
  let start = 0;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  while (start < text.length && isJsonWhitespace(text.charCodeAt(start))) start++;
  if (start === text.length) return refuse('empty', 'empty payload');
  try {
    return { ok: true, value: JSON.parse(start === 0 ? text : text.slice(start)) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return refuse('malformed_json', message.length > 160 ? `${message.slice(0, 160)}…` : message);
  }
}

/** RFC 8259 §2: space, tab, line feed, carriage return. */
function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** A JSON object (not an array, not null) as JSON.parse builds them. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A view of the payload's bytes as a Buffer, without copying. */
export function asBuffer(payload: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** The payload as text (invalid UTF-8 sequences become U+FFFD). */
export function payloadText(payload: Payload): string {
  return typeof payload === 'string' ? payload : asBuffer(payload).toString('utf8');
}
