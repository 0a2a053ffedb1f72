/**
 * Resolves Temporal's time-skipping test server into the tools cache if it is not there yet and
 * prints its launcher's path: `npx tsx scripts/test-server/ensure.ts` (.ci/run does this before
 * `npm test`; the workflow tests' global setup does it too, so it is never a manual step).
 */
import { ensureTestServer } from '../../src/embedded/test-server';

ensureTestServer({ log: (line) => process.stderr.write(`${line}\n`) })
  .then((launcher) => process.stdout.write(`${launcher}\n`))
  .catch((err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
