/**
 * The Temporal engine tests run on: HERALD_TEST_TEMPORAL_ENGINE=server runs them on a real Temporal
 * server with PostgreSQL (README "Production engine"), anything else on the dev server. The shared
 * stack (global-setup.ts) and every file that starts a stack of its own read it here.
 */
import type { TemporalEngine } from '../../src/embedded/engine';

export function testTemporalEngine(env: NodeJS.ProcessEnv = process.env): TemporalEngine {
  return env.HERALD_TEST_TEMPORAL_ENGINE === 'server' ? 'server' : 'dev';
}
