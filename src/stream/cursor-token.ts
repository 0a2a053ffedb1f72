/**
 * The opaque `cursorToken` of a stream cursor: an HMAC of subscription, partition and offset, so a
 * commit can prove its cursor came from this subscription's stream (a cursor of another
 * subscription, or an edited partition or offset, fails the check: 422).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface CursorPosition {
  subscriptionId: string;
  partition: number;
  offset: number;
}

export function cursorToken(key: Buffer, c: CursorPosition): string {
  return createHmac('sha256', key).update(`herald-stream-cursor\n${c.subscriptionId}\n${c.partition}\n${c.offset}`).digest('base64url');
}

export function verifyCursorToken(key: Buffer, c: CursorPosition, token: string): boolean {
  const expected = Buffer.from(cursorToken(key, c));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
