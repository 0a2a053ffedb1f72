/**
 * `herald replay` and `herald notifications show` as an operator runs them: `node bin/herald.js`
 * in its own process, configured only by the server's environment variables, on the real stack.
 */
import { cliEnv, runCli } from '../helpers/cli';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually, FAST_RETRY, startTestHerald, waitForStatus, type TestHerald } from '../helpers/herald';

let h: TestHerald;
let receiver: Receiver;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  h = await startTestHerald();
  receiver = await startReceiver((req) =>
    req.url === '/denied'
      ? { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'invalid_token', message: 'token expired' }, pad: 'x'.repeat(3000) }) }
      : { status: 200 },
  );
  env = cliEnv(h);
});
afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

const herald = (...args: string[]) => runCli(env, ...args);

test('herald replay --type --unmatched creates the missing notifications once; again creates nothing', async () => {
  const events = [];
  for (let i = 0; i < 3; i++) events.push((await h.api('POST', '/v1/events', { type: 'cli.replay', data: { i } })).body);
  expect(events.every((e) => e.notifications.length === 0)).toBe(true);
  const hook = await h.api('POST', '/v1/webhooks', { name: 'cli-replay', eventTypes: ['cli.replay'], url: `${receiver.url}/cli-replay`, retry: FAST_RETRY });
  expect(hook.status).toBe(201);

  const out = await herald('replay', '--type', 'cli.replay', '--unmatched', '--since', '1h');
  expect(out.code).toBe(0);
  expect(out.stdout).toContain('replayed 3 event(s): 3 notification(s) created for 3 event(s)');
  await eventually(async () => receiver.requests.filter((r) => r.url === '/cli-replay').length === 3, 30_000, 'three deliveries');

  const again = await herald('replay', '--type', 'cli.replay');
  expect(again.stdout).toContain('replayed 3 event(s): 0 notification(s) created for 0 event(s)');
  const unmatched = await herald('replay', '--type', 'cli.replay', '--unmatched');
  expect(unmatched.stdout).toContain('replayed 0 event(s)');
  expect(receiver.requests.filter((r) => r.url === '/cli-replay')).toHaveLength(3);

  const empty = await herald('replay');
  expect(empty.code).not.toBe(0);
  expect(empty.stderr).toMatch(/give at least one of --event, --type/);
  const missing = await herald('replay', '--event', 'evt_missing');
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toMatch(/Event evt_missing not found/);
}, 240_000); // six CLI processes, each a cold Node start

test('herald notifications show says why an HTTP error failed and prints the last response body, capped', async () => {
  const hook = await h.api('POST', '/v1/webhooks', { name: 'cli-denied', eventTypes: ['cli.denied'], url: `${receiver.url}/denied`, retry: { ...FAST_RETRY, maxAttempts: 1 } });
  const id = (await h.api('POST', '/v1/events', { type: 'cli.denied', data: {} })).body.notifications[0].id as string;
  expect(hook.status).toBe(201);
  await waitForStatus(h, id, ['failed']);

  const out = await herald('notifications', 'show', id);
  expect(out.code).toBe(0);
  expect(out.stdout).toMatch(/#1 automatic .* HTTP 401 invalid_token: token expired {2}key /);
  expect(out.stdout).toMatch(/last response body \(HTTP 401, first 2048 characters; \d+ more in --json\):\n {4}\{"error":\{"code":"invalid_token"/);
  expect(out.stdout).not.toContain('x'.repeat(2100));

  const list = await herald('notifications', 'list', '--status-code', '401', '--error-kind', 'http_status', '--json');
  expect(JSON.parse(list.stdout).map((n: { id: string }) => n.id)).toEqual([id]);
}, 120_000);
