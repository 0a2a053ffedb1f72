/**
 * The `herald` CLI as an operator runs it: `node bin/herald.js ...` in its own process, configured
 * only by the same environment variables as the server, against the real test stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { cliEnv, HERALD_BIN, ROOT, runCli } from '../helpers/cli';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually, FAST_RETRY, startTestHerald, waitForStatus, type TestHerald } from '../helpers/herald';

let h: TestHerald;
let receiver: Receiver;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startTestHerald();
  receiver = await startReceiver();
  env = cliEnv(h);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h?.stop();
  await receiver?.close();
});

const herald = (...args: string[]) => runCli(env, ...args);

async function failedNotifications(path: string, count: number) {
  receiver.respond((req) => (req.url === path ? { status: 500 } : { status: 200 }));
  const eventType = `${path.slice(1)}.test`;
  const hook = await h.api('POST', '/v1/webhooks', { name: path, eventTypes: [eventType], url: `${receiver.url}${path}`, retry: { ...FAST_RETRY, maxAttempts: 1 } });
  expect(hook.status).toBe(201);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await h.api('POST', '/v1/events', { type: eventType, data: { i } })).body.notifications[0].id);
  await Promise.all(ids.map((id) => waitForStatus(h, id, ['failed'])));
  receiver.respond(() => ({ status: 200 }));
  return { webhookId: hook.body.id as string, ids };
}

test('herald resend <id> signals the workflow and the notification is delivered by a manual attempt', async () => {
  const { ids: [id] } = await failedNotifications('/cli-one', 1);
  const out = await herald('resend', id);
  expect(out).toMatchObject({ code: 0, stderr: '' });
  expect(out.stdout).toContain(`resend signalled for ${id} (workflow notification-${id})`);
  const final = await waitForStatus(h, id, ['sent']);
  expect(final.attempts.map((a: { trigger: string }) => a.trigger)).toEqual(['automatic', 'manual']);
});

test('herald resend --failed --webhook --since resends every match and reports the count', async () => {
  const { webhookId, ids } = await failedNotifications('/cli-bulk', 3);
  const out = await herald('resend', '--failed', '--webhook', webhookId, '--since', '1h');
  expect(out.code).toBe(0);
  expect(out.stdout).toContain('resent 3 of 3 failed notification(s)');
  const finals = await Promise.all(ids.map((id) => waitForStatus(h, id, ['sent'])));
  for (const n of finals) expect(n.attempts[1].trigger).toBe('manual');
  // A window before they existed matches nothing.
  const none = await herald('resend', '--failed', '--webhook', webhookId, '--until', '2h');
  expect(none.stdout).toContain('resent 0 of 0');
});

test('herald notifications list and show read the history', async () => {
  const { webhookId, ids } = await failedNotifications('/cli-list', 2);
  const json = await herald('notifications', 'list', '--status', 'failed', '--webhook', webhookId, '--json');
  expect(json.code).toBe(0);
  const listed = JSON.parse(json.stdout);
  expect(listed.map((n: { id: string }) => n.id).sort()).toEqual([...ids].sort());
  expect(listed[0]).toMatchObject({ status: 'failed', webhookId, attemptCount: 1 });

  const table = await herald('notifications', 'list', '--webhook', webhookId);
  expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+ATTEMPTS\s+EVENT TYPE\s+WEBHOOK\s+CREATED$/);
  for (const id of ids) expect(table.stdout).toMatch(new RegExp(`${id}\\s+failed\\s+1\\s+cli-list.test`));

  const show = await herald('notifications', 'show', ids[0]);
  expect(show.code).toBe(0);
  expect(show.stdout).toContain(`${ids[0]}  FAILED`);
  expect(show.stdout).toMatch(/#1 automatic .* HTTP 500|#1 automatic .*http_status: HTTP 500/);
  expect(show.stdout).toContain(`POST ${receiver.url}/cli-list`);

  const bad = await herald('notifications', 'list', '--status', 'lost');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('--status must be one of pending, retrying, sent, failed');
});

test('herald resend of an unknown notification fails with a clear message', async () => {
  const out = await herald('resend', 'ntf_unknown');
  expect(out.code).toBe(1);
  expect(out.stderr).toContain('Notification ntf_unknown not found');
});

test('herald listen prints each webhook and verifies its Standard Webhooks signature with --secret', async () => {
  const hook = await h.api('POST', '/v1/webhooks', { name: 'listen', eventTypes: ['listen.test'], url: 'http://127.0.0.1:9/placeholder' });
  const secret = (await h.api('GET', `/v1/webhooks/${hook.body.id}/secret`)).body.secret as string;
  expect(secret).toMatch(/^whsec_/);

  const child = spawn(process.execPath, [HERALD_BIN, 'listen', '--port', '0', '--secret', secret], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const lines = readline.createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve) =>
    lines.on('line', (line) => {
      output += `${line}\n`;
      const m = /^listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]);
    }),
  );
  expect((await h.api('PATCH', `/v1/webhooks/${hook.body.id}`, { url: `${url}/from-herald` })).status).toBe(200);

  const event = await h.api('POST', '/v1/events', { type: 'listen.test', data: { hello: 'listener' } });
  const final = await waitForStatus(h, event.body.notifications[0].id, ['sent', 'failed']);
  expect(final.status).toBe('sent');
  await eventually(async () => output.includes('"hello": "listener"'), 10_000, 'the listener to print the body');
  expect(output).toContain('POST /from-herald');
  expect(output).toContain('signature: verified');

  // A forged request is refused (401) and reported.
  const forged = await fetch(`${url}/forged`, {
    method: 'POST',
    headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA', 'content-type': 'application/json' },
    body: '{"hello": "forged"}',
  });
  expect(forged.status).toBe(401);
  await eventually(async () => output.includes('POST /forged'), 10_000, 'the listener to print the forged request');
  expect(output).toMatch(/POST \/forged\nsignature: INVALID/);

  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
});
