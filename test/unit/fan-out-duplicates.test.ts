/**
 * When a notification insert may be taken as "already stored" (a redone fan-out): only when every
 * write error is a duplicate key. A connection lost mid-insert must fail the fan-out, or the event
 * is marked dispatched for notifications that do not exist (issue 12: accepted, then lost).
 */
import mongoose from 'mongoose';
import { onlyDuplicateKeys } from '../../src/fan-out';

const { MongoBulkWriteError, MongoNetworkError, MongoServerError } = mongoose.mongo;
// Built as the driver builds them (src/.../bulk/common.js); the result is not read here.
const bulkError = (error: ConstructorParameters<typeof MongoBulkWriteError>[0]) => new MongoBulkWriteError(error, {} as never);
const writeError = (index: number, code: number) => ({ index, code, errmsg: `E${code}` });

test('every failing document already exists: the notifications are stored', () => {
  expect(onlyDuplicateKeys(bulkError({ message: 'E11000', code: 11000, writeErrors: [writeError(0, 11000), writeError(1, 11000)] } as never))).toBe(true);
  // One document: a plain server error.
  expect(onlyDuplicateKeys(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }))).toBe(true);
  // As mongoose re-shapes them: the code under `err`.
  expect(onlyDuplicateKeys({ writeErrors: [{ err: { code: 11000 } }] })).toBe(true);
});

test('a connection lost mid-insert (a bulk error with no write errors) is a failure, not "all duplicates"', () => {
  const lost = bulkError(new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'));
  expect(lost.writeErrors).toEqual([]);
  expect(onlyDuplicateKeys(lost)).toBe(false);
  expect(onlyDuplicateKeys(new MongoNetworkError('connection closed'))).toBe(false);
});

test('a duplicate beside another write error is a failure', () => {
  expect(onlyDuplicateKeys(bulkError({ message: 'E11000', code: 11000, writeErrors: [writeError(0, 11000), writeError(1, 2)] } as never))).toBe(false);
  expect(onlyDuplicateKeys(new MongoServerError({ message: 'other', code: 2 }))).toBe(false);
});
