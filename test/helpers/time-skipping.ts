/**
 * Workflow tests on Temporal's time-skipping test server (TestWorkflowEnvironment.createTimeSkipping),
 * with mocked activities: timers and retry backoffs of hours pass in milliseconds, so a test can walk
 * a workflow through its whole schedule. The server is the Java one from Maven Central (see
 * src/embedded/test-server.ts); the `workflows` Jest project's global setup resolves it and bundles
 * the workflow code once per run.
 *
 *   const { env, runWorker } = useTimeSkipping();
 *   test('...', () => runWorker({ resendMatching: async () => ... }, async (taskQueue) => {
 *     const result = await env.client.workflow.execute(bulkResendWorkflow, { taskQueue, workflowId, args });
 *   }));
 */
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { createActivities } from '../../activities';
import { ensureTestServer } from '../../src/embedded/test-server';

export type Activities = ReturnType<typeof createActivities>;

/** Starts a time-skipping test environment (one test server JVM) on the cached Java test server. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const launcher = process.env.HERALD_TEST_SERVER_LAUNCHER || (await ensureTestServer());
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: launcher } } });
}

/**
 * Runs `fn` while a worker with the given (mocked) activities polls a fresh task queue on `env`,
 * then shuts the worker down. The workflow code is the bundle of the run (or workflows/ bundled now).
 */
export async function runWorker<T>(
  env: TestWorkflowEnvironment,
  activities: Partial<Activities>,
  fn: (taskQueue: string) => Promise<T>,
  options: Partial<WorkerOptions> = {},
): Promise<T> {
  const taskQueue = `wf-test-${randomBytes(4).toString('hex')}`;
  const bundle = process.env.HERALD_TEST_BUNDLE;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') }),
    ...options,
  });
  return worker.runUntil(fn(taskQueue));
}

/**
 * One environment for a whole test file (started in beforeAll, torn down in afterAll). `env` forwards
 * to the live environment, so tests use it like a variable.
 */
export function useTimeSkipping(): {
  env: TestWorkflowEnvironment;
  runWorker<T>(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>, options?: Partial<WorkerOptions>): Promise<T>;
} {
  let current: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    current = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await current?.teardown();
  });
  const env = new Proxy({} as TestWorkflowEnvironment, {
    get(_target, prop) {
      if (!current) throw new Error('the time-skipping environment is used before beforeAll started it');
      const value = Reflect.get(current, prop);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
  return { env, runWorker: (activities, fn, options) => runWorker(env, activities, fn, options) };
}

let runtimeInstalled = false;

/** The SDK logs each failed activity attempt at WARN; tests that make activities fail on purpose would drown in them. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Core's WARN about the test server not advertising heartbeat-details-on-failure is noise too:
    // the test server keeps them (test/workflows/bulk-resend.test.ts checks it).
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  } catch {
    // Already installed in this process.
  }
}
