import { rmSync } from 'node:fs';
import type { EmbeddedStack } from '../../src/embedded/stack';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __HERALD_STACK__?: EmbeddedStack }).__HERALD_STACK__;
  await stack?.stop();
  if (process.env.HERALD_TEST_DATA_DIR) rmSync(process.env.HERALD_TEST_DATA_DIR, { recursive: true, force: true });
}
