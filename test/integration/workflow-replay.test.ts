/**
 * Replays every recorded history in test/fixtures/histories (scripts/record-histories.ts: closed
 * and still-running executions of the code that shipped before) against the workflow bundle this
 * run built from workflows/. A workflow change that would make an execution already running take
 * a different path (a nondeterminism error, or a workflow task that throws on replay) fails here.
 * Add a fixture by adding a scenario to the script and recording it on the old code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { historyFromJSON } from '../helpers/history-json';

const FIXTURES_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const fixtures = readdirSync(FIXTURES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

beforeAll(() => {
  try {
    // Replay logs a failed workflow task at WARN before it reports it; the test reports it anyway.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed in this process.
  }
});

test('the fixtures directory holds recorded histories of each workflow', () => {
  const types = new Set(fixtures.map((f) => workflowType(load(f))));
  expect(types).toEqual(new Set(['notificationWorkflow', 'bulkResendWorkflow', 'purgeWorkflow']));
});

test.each(fixtures)('%s replays on the current workflow code without a determinism error', async (file) => {
  const history = load(file);
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: process.env.HERALD_TEST_BUNDLE! } }, [
    { workflowId: path.basename(file, '.json'), history },
  ])) {
    results.push(result);
  }
  expect(results).toHaveLength(1);
  // The error's name and message say what diverged (DeterminismViolationError or ReplayError).
  expect(results[0].error && `${results[0].error.name}: ${results[0].error.message}`).toBeUndefined();
});

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(FIXTURES_DIR, file), 'utf8')));
}

function workflowType(history: ReturnType<typeof load>): string | null | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
}
