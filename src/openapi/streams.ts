/**
 * The operations of the Streaming API (issue 18), kept apart from operations.ts like versions.ts;
 * operations.ts appends them.
 */
import { z } from 'zod';
import { commitSchema, streamQuery, streamSubscriptionSchema } from '../routes/stream-subscriptions';
import { pageQuery } from '../http/pagination';
import { errorResponse, listOf } from './responses';
import type { Operation } from './operations';

const T = '2026-11-30T10:00:00.000Z';
const err = (description: string) => ({ description, body: { name: 'Error', schema: errorResponse } });
const invalid = err('validation failed: every bad field in `error.details`');
const notFound = err('no such subscription in this account');

export const streamSubscriptionResponse = z.object({
  id: z.string().regex(/^sub_/),
  owningApplication: z.string(),
  eventTypes: z.array(z.string()),
  consumerGroup: z.string(),
  readFrom: z.enum(['begin', 'end']),
  createdAt: z.iso.datetime({ offset: true }),
});
/** Read-only, on the list and on one subscription: what the console shows. */
const totals = {
  openStreams: z.number().int().min(0).meta({ description: 'live streams of this subscription now (at most one per partition)' }),
  lag: z.number().int().min(0).meta({ description: 'events in the log past the committed cursors, all partitions together' }),
};
export const streamSubscriptionSummary = streamSubscriptionResponse.extend(totals);
export const streamSubscriptionWithStats = streamSubscriptionResponse.extend({
  ...totals,
  partitions: z.array(
    z.object({
      partition: z.number().int(),
      committedOffset: z.number().int().meta({ description: 'the last offset committed (0: nothing yet)' }),
      lastOffset: z.number().int().meta({ description: 'the last offset taken in the log (events of every type)' }),
      lag: z.number().int().min(0).meta({ description: 'lastOffset - committedOffset' }),
      streamId: z.string().nullable().meta({ description: 'the live stream that reads this partition now; null when none does' }),
    }),
  ),
});
const subscriptionExample = { id: 'sub_0mk2f9a3b4c5d6e7', owningApplication: 'ledger-sync', eventTypes: ['loan.disbursed'], consumerGroup: 'default', readFrom: 'end', createdAt: T };
const statsExample = {
  ...subscriptionExample,
  openStreams: 1,
  lag: 12,
  partitions: [
    { partition: 0, committedOffset: 40, lastOffset: 40, lag: 0, streamId: 'stm_0mk2f9b1c2d3e4f5' },
    { partition: 1, committedOffset: 35, lastOffset: 39, lag: 4, streamId: 'stm_0mk2f9b1c2d3e4f5' },
    { partition: 2, committedOffset: 41, lastOffset: 41, lag: 0, streamId: 'stm_0mk2f9b1c2d3e4f5' },
    { partition: 3, committedOffset: 30, lastOffset: 38, lag: 8, streamId: 'stm_0mk2f9b1c2d3e4f5' },
  ],
};
const commitResult = z.object({ items: z.array(z.object({ cursor: z.record(z.string(), z.unknown()), result: z.enum(['committed', 'outdated']) })) });
const streamIdHeader = { name: 'X-Herald-StreamId', description: 'the stream the cursors were read on (from the stream\'s response headers)' };

export const STREAM_OPERATIONS: Operation[] = [
  {
    method: 'post', path: '/v1/subscriptions', tag: 'Streaming', summary: 'Subscribe to event types for streaming (the same application, types and group again: the existing one)',
    body: { name: 'StreamSubscriptionCreate', schema: streamSubscriptionSchema, example: { owningApplication: 'ledger-sync', eventTypes: ['loan.disbursed'], readFrom: 'end' } },
    responses: {
      201: { description: 'created', body: { name: 'StreamSubscription', schema: streamSubscriptionResponse, example: subscriptionExample } },
      200: { description: 'the existing subscription', body: { name: 'StreamSubscription', schema: streamSubscriptionResponse } },
      400: invalid,
    },
  },
  {
    method: 'get', path: '/v1/subscriptions', tag: 'Streaming', summary: "The account's stream subscriptions (newest first), with their open streams and total lag", query: pageQuery,
    responses: { 200: { description: 'a page', body: { name: 'StreamSubscriptionList', schema: listOf(streamSubscriptionSummary), example: { data: [{ ...subscriptionExample, openStreams: 1, lag: 12 }], nextCursor: null } } }, 400: invalid },
  },
  {
    method: 'get', path: '/v1/subscriptions/{id}', tag: 'Streaming', summary: 'A stream subscription with, per partition, its committed offset, the log end, the lag and the stream reading it',
    responses: { 200: { description: 'ok', body: { name: 'StreamSubscriptionWithStats', schema: streamSubscriptionWithStats, example: statsExample } }, 404: notFound },
  },
  { method: 'delete', path: '/v1/subscriptions/{id}', tag: 'Streaming', summary: 'Delete a stream subscription and its cursors', responses: { 204: { description: 'deleted' }, 404: notFound } },
  {
    method: 'get', path: '/v1/subscriptions/{id}/events', tag: 'Streaming', summary: 'Open a stream: NDJSON batches `{cursor, events?}` as they are ready (a batch without events is a keep-alive)', query: streamQuery,
    responses: {
      200: { description: 'the stream (`application/x-ndjson`, header `X-Herald-StreamId`)', contentType: 'application/x-ndjson' },
      400: invalid, 404: notFound, 409: err('every partition is already read by another stream of this subscription'),
    },
  },
  {
    method: 'post', path: '/v1/subscriptions/{id}/cursors', tag: 'Streaming', summary: 'Commit cursors read on a stream (offsets only move forward)',
    headers: [streamIdHeader],
    body: { name: 'CursorCommit', schema: commitSchema, example: { items: [{ partition: 0, offset: 42, eventType: 'loan.disbursed', cursorToken: 'c2lnbmVk' }] } },
    responses: {
      204: { description: 'every cursor committed' },
      200: { description: 'some cursors were outdated (older than the committed offset)', body: { name: 'CursorCommitResult', schema: commitResult } },
      400: invalid, 404: notFound, 409: err('no stream id, or not a live stream of this subscription (`conflict`: open a new stream); or a cursor of a partition this stream does not read now (`partition_not_owned`, each named in `details`: it moved to another stream, which reads it again from the committed cursor; nothing was committed)'), 422: err('a cursor of another subscription or partition, or not one Herald issued'),
    },
  },
];
