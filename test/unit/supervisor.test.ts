/**
 * The restart logic on plain `sleep` processes (no services needed): a killed child is replaced
 * after the backoff, failed restarts count, and too many failures in the window give up once.
 */
import { runningChildren, startProcess, type ManagedProcess } from '../../src/embedded/child-process';
import { superviseProcess, type Supervisor } from '../../src/embedded/supervisor';

const sleeper = () => startProcess('sleeper', '/bin/sleep', ['60']);
const policy = { initialDelayMs: 20, maxDelayMs: 100, maxFailures: 3, windowMs: 60_000 };

function recorder() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const kill = async (p: ManagedProcess) => {
  p.child.kill('SIGKILL');
  await p.closed;
};

let supervisor: Supervisor | undefined;
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  expect(runningChildren()).toBe(0);
});

test('a killed child is started again and the death is logged with its error', async () => {
  const { lines, logger } = recorder();
  const first = sleeper();
  supervisor = superviseProcess({ name: 'sleeper', initial: first, restart: async () => sleeper(), policy, logger, onGiveUp: () => {} });
  await kill(first);
  await until(() => supervisor!.restarts() === 1, 'a restart');
  expect(supervisor.current()).not.toBe(first);
  expect(supervisor.current().child.exitCode).toBeNull();
  expect(lines.map((l) => [l.level, l.msg])).toEqual([
    ['warn', 'embedded sleeper died; restarting it'],
    ['info', 'embedded sleeper restarted'],
  ]);
  expect((lines[0].obj.err as Error).message).toMatch(/^the embedded sleeper was killed by SIGKILL \(pid \d+\)/);
  expect(lines[0].obj.delayMs).toBe(20);
});

test('the backoff doubles with each failure in the window, and a stop during the backoff starts nothing', async () => {
  const { lines, logger } = recorder();
  const first = sleeper();
  let second: ManagedProcess | undefined;
  supervisor = superviseProcess({
    name: 'sleeper',
    initial: first,
    restart: async () => (second = sleeper()),
    policy: { ...policy, initialDelayMs: 100, maxDelayMs: 1000, maxFailures: 5 },
    logger,
    onGiveUp: () => {},
  });
  await kill(first);
  await until(() => supervisor!.restarts() === 1, 'a restart');
  await kill(second!);
  await until(() => lines.filter((l) => l.level === 'warn').length === 2, 'the second death');
  expect(lines.filter((l) => l.level === 'warn').map((l) => l.obj.delayMs)).toEqual([100, 200]);
  await supervisor.stop();
  supervisor = undefined;
  // Nothing restarts after the stop, even once the backoff would have run out.
  await new Promise((r) => setTimeout(r, 300));
  expect(lines.filter((l) => l.msg.endsWith('restarted'))).toHaveLength(1);
});

test('failed restarts count too, and the supervisor gives up once, saying how often and why', async () => {
  const { lines, logger } = recorder();
  const first = sleeper();
  const gaveUp: Error[] = [];
  let attempts = 0;
  supervisor = superviseProcess({
    name: 'sleeper',
    initial: first,
    restart: async () => {
      attempts++;
      throw new Error(`sleeper exited during start-up (attempt ${attempts})`);
    },
    policy,
    logger,
    onGiveUp: (err) => gaveUp.push(err),
  });
  await kill(first);
  await until(() => gaveUp.length === 1, 'the give-up');
  expect(attempts).toBe(2);
  expect(gaveUp[0].message).toBe(
    'the embedded sleeper failed 3 times within 60 s; not restarting it again. Last failure: sleeper exited during start-up (attempt 2)',
  );
  expect(lines.map((l) => l.level)).toEqual(['warn', 'warn', 'error']);
  expect(lines[2].obj.err).toBe(gaveUp[0]);
  await new Promise((r) => setTimeout(r, 150));
  expect(attempts).toBe(2);
});
