/**
 * Workflow histories as proto JSON (the SDK's history JSON format), for the replay fixtures in
 * test/fixtures/histories.
 *
 * Why not the SDK's historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils): with this
 * project's lockfile, @temporalio/common and @temporalio/proto each get their own nested copy of
 * protobufjs 8 (the top-level copy is 7, for @grpc/proto-loader), and the SDK functions pass a type
 * from @temporalio/proto's copy to the protojson of @temporalio/common's copy, whose `instanceof
 * Type` check then throws "type must be a Type". Here protojson is loaded from the protobufjs that
 * @temporalio/proto itself resolves, whatever the install layout, so type and codec always match.
 */
import path from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protoDir = path.dirname(require.resolve('@temporalio/proto'));
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

/** History (as fetched with `handle.fetchHistory()`) → proto JSON text, indented for readable diffs. */
export function historyToJSON(history: History): string {
  const json = protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Proto JSON (parsed) → History, for Worker.runReplayHistories. Fields a newer server added are ignored. */
export function historyFromJSON(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
