/**
 * `/v1/subscriptions`: the Streaming API (src/stream/). Stream subscriptions, their streams
 * (`GET /{id}/events`, NDJSON) and their cursor commits.
 */
import { createHmac } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { CheckedReads, recheckOf } from '../http/auth';
import { currentAccountId, inAccount } from '../accounts/scope';
import { parseBody, parseQuery } from '../http/validate';
import { afterCursor, page, pageQuery } from '../http/pagination';
import { createStreamSubscription, deleteStreamSubscription, ensureCursors } from '../stream/subscriptions';
import { subscriptionStats } from '../stream/stats';
import { joinStream, leaveStream } from '../stream/sessions';
import { runStream } from '../stream/streamer';
import { commitCursors } from '../stream/commit';

const name = (what: string) => z.string({ message: 'must be a string' }).trim().min(1, 'must not be empty').max(200, `${what} must be at most 200 characters`);

export const streamSubscriptionSchema = z
  .object({
    owningApplication: name('owningApplication'),
    eventTypes: z.array(name('an event type'), { message: 'must be an array of event types' }).min(1, 'must name at least one event type').max(100, 'must name at most 100 event types'),
    consumerGroup: name('consumerGroup').default('default'),
    readFrom: z.enum(['begin', 'end'], { message: 'must be begin or end' }).default('end'),
  })
  .strict();

const seconds = (max: number) => z.coerce.number({ message: 'must be a number of seconds' }).min(0, 'must not be negative').max(max, `must be at most ${max}`);

export const streamQuery = z
  .object({
    batch_limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').default(1),
    batch_flush_timeout: seconds(3600).refine((v) => v > 0, 'must be more than 0').default(30),
    stream_limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').default(0),
    stream_timeout: seconds(86_400).default(0),
  })
  .strict();

export const commitSchema = z
  .object({
    items: z
      .array(
        z.object({
          partition: z.number({ message: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative'),
          offset: z.number({ message: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative'),
          eventType: z.string().nullable().optional(),
          cursorToken: z.string({ message: 'must be the cursorToken of a batch' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
        }),
        { message: 'must be an array of cursors' },
      )
      .min(1, 'must hold at least one cursor')
      .max(1000, 'must hold at most 1000 cursors'),
  })
  .strict();

function view(s: { _id: string; owningApplication: string; eventTypes: string[]; consumerGroup: string; readFrom: string; createdAt?: Date }) {
  return { id: s._id, owningApplication: s.owningApplication, eventTypes: s.eventTypes, consumerGroup: s.consumerGroup, readFrom: s.readFrom, createdAt: s.createdAt };
}

export function streamSubscriptionsRouter(deps: AppDeps): Router {
  const { models } = deps;
  const router = Router();
  // Its own key, derived from the process's signing key: cursor tokens prove nothing else.
  const cursorKey = createHmac('sha256', deps.urlSigningKey).update('herald-stream-cursors').digest();
  const { leaseMs, commitTimeoutMs } = deps.config.stream;
  // Whether a subscription still exists (`<account> <id>`), shared by this process's streams of it.
  const subscriptions = new CheckedReads<boolean>(async (key) => {
    const [accountId, id] = key.split(' ');
    return inAccount(accountId, async () => (await models.StreamSubscription.exists({ _id: id })) !== null);
  });

  const load = async (id: string) => {
    const sub = await models.StreamSubscription.findOne({ _id: id }).lean();
    if (!sub) throw notFound('Subscription');
    return sub;
  };

  router.post('/', async (req, res) => {
    const input = parseBody(streamSubscriptionSchema, req.body);
    const { created, subscription } = await createStreamSubscription(models, input);
    res.status(created ? 201 : 200).json(view(subscription));
  });

  router.get('/', async (req, res) => {
    const q = parseQuery(pageQuery, req.query);
    const docs = await models.StreamSubscription.find(afterCursor({}, q.cursor)).sort({ _id: -1 }).limit(q.limit + 1).lean();
    const { items, nextCursor } = page(docs, q.limit);
    const stats = await subscriptionStats(models, items.map((s) => s._id), leaseMs);
    res.json({ data: items.map((s) => ({ ...view(s), openStreams: stats.get(s._id)!.openStreams, lag: stats.get(s._id)!.lag })), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    const sub = await load(req.params.id);
    const stats = (await subscriptionStats(models, [sub._id], leaseMs)).get(sub._id)!;
    res.json({ ...view(sub), ...stats });
  });

  router.delete('/:id', async (req, res) => {
    if (!(await deleteStreamSubscription(models, req.params.id))) throw notFound('Subscription');
    res.status(204).end();
  });

  router.get('/:id/events', async (req, res) => {
    const q = parseQuery(streamQuery, req.query);
    const sub = await load(req.params.id);
    const stream = await joinStream(models, sub._id, leaseMs);
    const streamId = stream.id;
    deps.metrics.streamOpened();
    res.status(200).set({ 'content-type': 'application/x-ndjson', 'x-herald-streamid': streamId, 'cache-control': 'no-store' });
    res.flushHeaders();
    // The stream lives while its key acts on the account (not revoked, the account not deleted) and its subscription exists.
    const recheck = recheckOf(res);
    const subscriptionKey = `${currentAccountId()} ${sub._id}`;
    const authority = async (notBefore: number) => {
      const [caller, exists] = await Promise.all([recheck(notBefore), subscriptions.get(subscriptionKey, notBefore)]);
      return { ok: caller.ok && exists.value, at: Math.min(caller.at, exists.at) };
    };
    try {
      await ensureCursors(models, sub._id);
      const end = await runStream(
        { models, cursorKey, leaseMs, commitTimeoutMs, logger: deps.logger, authority },
        { _id: sub._id, eventTypes: sub.eventTypes },
        stream,
        { batchLimit: q.batch_limit, batchFlushTimeoutMs: q.batch_flush_timeout * 1000, streamLimit: q.stream_limit, streamTimeoutMs: q.stream_timeout * 1000 },
        res,
      );
      deps.logger.info({ subscriptionId: sub._id, streamId, end }, 'stream ended');
    } catch (err) {
      deps.logger.error({ err, subscriptionId: sub._id, streamId }, 'stream failed; the consumer resumes from its committed cursors');
    } finally {
      deps.metrics.streamClosed();
      await leaveStream(models, stream).catch((err: unknown) => deps.logger.warn({ err, streamId }, 'could not remove the stream session; its lease expires'));
      res.end();
    }
  });

  router.post('/:id/cursors', async (req, res) => {
    const body = parseBody(commitSchema, req.body);
    const sub = await load(req.params.id);
    const results = await commitCursors(models, { subscriptionId: sub._id, streamId: req.get('x-herald-streamid'), items: body.items, key: cursorKey, leaseMs });
    if (results.every((r) => r.result === 'committed')) res.status(204).end();
    else res.json({ items: results });
  });

  return router;
}
