/**
 * Once per `npm test`, for the `workflows` project (time-skipping tests): resolves Temporal's Java
 * test server into the tools cache if it is missing (about a minute, first run only) and bundles the
 * workflow code once. Reuses the integration project's bundle when that setup ran first.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureTestServer } from '../../src/embedded/test-server';

export default async function workflowsSetup(): Promise<void> {
  const [launcher, bundlePath] = await Promise.all([
    ensureTestServer({ log: (line) => process.stdout.write(`${line}\n`) }),
    process.env.HERALD_TEST_BUNDLE ?? bundle(),
  ]);
  process.env.HERALD_TEST_SERVER_LAUNCHER = launcher;
  process.env.HERALD_TEST_BUNDLE = bundlePath;
}

async function bundle(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'herald-wf-test-'));
  process.env.HERALD_WORKFLOWS_TEST_DIR = dir;
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger() });
  const file = path.join(dir, 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}

function quietLogger() {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => process.stderr.write(`${m}\n`), log: noop };
}
