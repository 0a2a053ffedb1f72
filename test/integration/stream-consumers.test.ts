/**
 * The Streaming API's consumers, as shipped: `herald stream SUBSCRIPTION` (bin/herald.js) and the
 * README's Node example (docs/examples/stream-consumer.mjs), each reading, committing and resuming.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { useHeraldAndReceiver, TEST_API_KEY } from '../helpers/herald';
import { HERALD_BIN, ROOT } from '../helpers/cli';

const { h } = useHeraldAndReceiver({ worker: false });

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function subscriptionWithEvents(app: string, n: number) {
  const type = `${app}.type`;
  const sub = await h.api('POST', '/v1/subscriptions', { owningApplication: app, eventTypes: [type], readFrom: 'begin' });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await h.api('POST', '/v1/events', { type, entityIds: [`c-${i % 3}`], data: { i } })).body.id);
  return { id: sub.body.id as string, ids };
}

const ids = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);

test('herald stream prints events, commits, and the next run resumes after the commit', async () => {
  const sub = await subscriptionWithEvents('cli', 6);
  const env = { HERALD_URL: h.url, HERALD_API_KEY: TEST_API_KEY };
  const first = await run([HERALD_BIN, 'stream', sub.id, '--batch-limit', '2', '--max-events', '4'], env);
  expect(first.code).toBe(0);
  const second = await run([HERALD_BIN, 'stream', sub.id, '--batch-limit', '2', '--max-events', '2'], env);
  expect(second.code).toBe(0);
  const got = [...ids(first.stdout), ...ids(second.stdout)];
  expect(got.sort()).toEqual([...sub.ids].sort());
});

test("the README's Node consumer reads, commits and resumes", async () => {
  const sub = await subscriptionWithEvents('example', 5);
  const example = path.join(ROOT, 'docs', 'examples', 'stream-consumer.mjs');
  const env = { HERALD_URL: h.url, HERALD_API_KEY: TEST_API_KEY };
  const first = await run([example, sub.id, '5'], env);
  expect(first.code).toBe(0);
  expect(ids(first.stdout).sort()).toEqual([...sub.ids].sort());
  const more = (await h.api('POST', '/v1/events', { type: 'example.type', entityIds: ['c-9'], data: { i: 9 } })).body.id;
  const second = await run([example, sub.id, '1'], env);
  expect(ids(second.stdout)).toEqual([more]);
});
