/**
 * The operations of versioned event types (issue 17), kept apart from operations.ts so the list
 * of the rest stays readable; operations.ts appends them.
 */
import { z } from 'zod';
import { versionBody } from '../routes/event-type-versions';
import { upgradeQuery } from '../routes/account-upgrade';
import { errorResponse } from './responses';
import type { Operation } from './operations';

const T = '2026-11-30T10:00:00.000Z';
const err = (description: string) => ({ description, body: { name: 'Error', schema: errorResponse } });

const change = z.union([
  z.object({ op: z.literal('rename'), from: z.string(), to: z.string() }),
  z.object({ op: z.literal('add'), path: z.string(), default: z.unknown() }),
  z.object({ op: z.literal('remove'), path: z.string(), default: z.unknown() }),
]);

export const eventTypeVersionResponse = z.object({
  type: z.string(),
  version: z.string(),
  schema: z.record(z.string(), z.unknown()).nullable(),
  changes: z.array(change),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});

export const eventTypeResponse = z.object({ type: z.string(), newestVersion: z.string().nullable(), versions: z.array(eventTypeVersionResponse) });

const renamed = z.object({ from: z.string(), to: z.string(), version: z.string() });
export const upgradePreviewResponse = z.object({
  accountId: z.string(),
  from: z.string().nullable().meta({ description: "the account's pin now (null: it follows the newest)" }),
  to: z.string(),
  eventTypes: z.array(
    z.object({
      type: z.string(),
      webhookIds: z.array(z.string()).meta({ description: "the account's webhooks receiving the type that follow the account's pin" }),
      fromVersion: z.string(),
      toVersion: z.string(),
      renamed: z.array(renamed),
      added: z.array(z.object({ path: z.string(), default: z.unknown(), version: z.string() })),
      removed: z.array(z.object({ path: z.string(), version: z.string() })),
    }),
  ),
  unaffectedWebhookIds: z.array(z.string()).meta({ description: 'webhooks with their own apiVersion ("latest" or a semver): the pin does not move them' }),
});

const v9 = {
  schema: { type: 'object', properties: { newExampleField: { type: 'string' } }, required: ['newExampleField'] },
  changes: [{ op: 'rename', from: 'exampleField', to: 'newExampleField' }],
};
const v9view = { type: 'example.created', version: '9.0.0', ...v9, createdAt: T, updatedAt: T };

export const VERSION_OPERATIONS: Operation[] = [
  {
    method: 'put', path: '/v1/event-types/{type}/versions/{version}', tag: 'Events', summary: 'Declare (or replace, while unused) a version of an event type',
    description:
      '`version` is MAJOR.MINOR.PATCH, ordered as semver. `schema` is a JSON Schema (draft 2020-12) of `data`, checked when events are posted in this version. ' +
      "`changes` say how this version's data differs from the previous version's: `rename` (from → to), `add` (path, default: new in this version), `remove` (path, default: older versions get it); " +
      'paths are dotted (`client.name`). A change that cannot apply to the schemas, a bad schema, or more than 64 KiB or 32 levels is refused with the reason. ' +
      'A version is immutable (409) once an event of its type was accepted after it was declared.',
    body: { name: 'EventTypeVersionPut', schema: versionBody, example: v9 },
    responses: {
      201: { description: 'declared', body: { name: 'EventTypeVersion', schema: eventTypeVersionResponse, example: v9view } },
      200: { description: 'replaced (no event used it yet)', body: { name: 'EventTypeVersion', schema: eventTypeVersionResponse } },
      400: err('not MAJOR.MINOR.PATCH, a bad schema, or changes that cannot apply: every reason in `error.details`'),
      409: err('the version is in use, or a version between two others where the next one is in use'),
    },
  },
  {
    method: 'get', path: '/v1/event-types/{type}', tag: 'Events', summary: "An event type's declared versions, oldest first",
    responses: {
      200: { description: 'ok', body: { name: 'EventType', schema: eventTypeResponse, example: { type: 'example.created', newestVersion: '9.0.0', versions: [{ ...v9view, version: '8.0.3', schema: null, changes: [] }, v9view] } } },
      404: err('no version declared and no event of the type seen'),
    },
  },
  {
    method: 'get', path: '/v1/accounts/{id}/upgrade-preview', tag: 'Accounts', summary: "What moving the account's pin (apiVersion) to `to` would change, per event type its webhooks receive",
    description: 'Admin keys only. Apply with `PATCH /v1/accounts/{id}` `{"apiVersion": "<to>"}`.',
    query: upgradeQuery,
    responses: {
      200: { description: 'ok', body: { name: 'UpgradePreview', schema: upgradePreviewResponse } },
      400: err('`to` is not a semver'),
      403: err('not an admin key'),
      404: err('no such account'),
    },
  },
];
