/**
 * docker-compose.yml, checked without a container engine (issue 19): valid against the Compose
 * specification's JSON schema (dclint carries it), no linter errors, and Temporal at the version
 * and settings of HERALD_TEMPORAL_ENGINE=server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import { DEFAULT_SERVER_TUNING, dynamicConfigYaml } from '../../src/embedded/temporal-real-server';
import { TOOL_SPECS } from '../../src/embedded/tools';

const COMPOSE = path.resolve(__dirname, '..', '..', 'docker-compose.yml');

function lint(file: string) {
  const linter = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] } as unknown as ConstructorParameters<typeof DCLinter>[0]);
  return linter.lintFiles([file], false)[0].messages;
}

test('docker-compose.yml is valid against the Compose schema and has no linter errors', () => {
  const messages = lint(COMPOSE);
  expect(messages.filter((m) => m.rule === 'invalid-schema' || m.rule === 'invalid-yaml')).toEqual([]);
  expect(messages.filter((m) => m.type === 'error')).toEqual([]);
});

test('the schema check rejects what Compose would reject', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'herald-compose-'));
  try {
    const file = path.join(dir, 'docker-compose.yml');
    writeFileSync(file, 'services:\n  temporal:\n    image: temporalio/auto-setup:1.29.1\n    depends_on: { postgresql: { condition: when_ready } }\n');
    expect(lint(file).map((m) => m.rule)).toContain('invalid-schema');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Temporal in docker-compose.yml runs the embedded server engine\'s version and settings', () => {
  const compose = parse(readFileSync(COMPOSE, 'utf8'));
  const temporal = compose.services.temporal;
  expect(temporal.image).toBe(`temporalio/auto-setup:${TOOL_SPECS['temporal-server'].version}`);
  expect(Number(temporal.environment.NUM_HISTORY_SHARDS)).toBe(DEFAULT_SERVER_TUNING.numHistoryShards);
  expect(Number(temporal.environment.SQL_MAX_CONNS)).toBe(DEFAULT_SERVER_TUNING.maxConns);
  expect(temporal.environment.DB).toBe('postgres12');
  const mounted = temporal.configs.find((c: { source: string }) => c.source === 'temporal-dynamic-config');
  expect(temporal.environment.DYNAMIC_CONFIG_FILE_PATH).toBe(mounted.target);
  // The same dynamic config, key for key.
  expect(parse(compose.configs['temporal-dynamic-config'].content)).toEqual(parse(dynamicConfigYaml(DEFAULT_SERVER_TUNING)));
  // PostgreSQL: the major version the embedded engine is measured on (Debian 12's).
  expect(compose.services.postgresql.image).toBe('postgres:15');
});
