import { rmSync } from 'node:fs';

export default async function workflowsTeardown(): Promise<void> {
  if (process.env.HERALD_WORKFLOWS_TEST_DIR) rmSync(process.env.HERALD_WORKFLOWS_TEST_DIR, { recursive: true, force: true });
}
