/**
 * Once per `npm test`: one embedded stack (Temporal dev server + FerretDB on free ports, data in a
 * temporary directory) and one workflow bundle. Test files share them, each with its own database
 * and task queue. What tests need is passed through environment variables (workers inherit them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedStack } from '../../src/embedded/stack';
import { freePort } from '../../src/embedded/child-process';
import { loadConfig } from '../../src/config';
import { namespaceRetentionSeconds } from '../../src/retention';
import { testTemporalEngine } from './engine';

export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-test-'));
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const [stack, bundle] = await Promise.all([
    startEmbeddedStack({
      dataDir,
      // The namespace retention npm start sets from the default HERALD_RETENTION (test/integration/retention.test.ts checks it).
      // HERALD_TEST_TEMPORAL_ENGINE=server runs the suite on a real Temporal server with PostgreSQL.
      temporal: {
        port: temporalPort,
        namespace: 'default',
        historyRetentionSeconds: namespaceRetentionSeconds(loadConfig({})),
        engine: testTemporalEngine(),
      },
      mongo: { port: mongoPort },
      tools: { temporalBin: process.env.HERALD_TEMPORAL_BIN, ferretdbBin: process.env.HERALD_FERRETDB_BIN, cacheDir: process.env.HERALD_TOOLS_DIR },
      log: (line) => process.stdout.write(`${line}\n`),
    }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger() }),
  ]);
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  (globalThis as { __HERALD_STACK__?: unknown }).__HERALD_STACK__ = stack;
  process.env.HERALD_TEST_TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.HERALD_TEST_MONGO_URI_BASE = stack.mongoUriBase;
  process.env.HERALD_TEST_BUNDLE = bundlePath;
  process.env.HERALD_TEST_DATA_DIR = dataDir;
}

function quietLogger() {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => process.stderr.write(`${m}\n`), log: noop };
}
