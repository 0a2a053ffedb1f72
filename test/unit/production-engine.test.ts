/** The `server` engine's pure parts: settings, the data dir's engine, the generated server config, the clear messages. */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, ConfigError } from '../../src/config';
import { checkEngineOfDataDir, engineOfDataDir } from '../../src/embedded/engine';
import { DEFAULT_SERVER_TUNING, dynamicConfigYaml, serverConfigYaml, SERVER_SEARCH_ATTRIBUTES } from '../../src/embedded/temporal-real-server';
import { ensureTool, toolEnvVar } from '../../src/embedded/tools';
import { findPostgres } from '../../src/embedded/postgres';
import { missingSearchAttributes, missingSearchAttributesMessage } from '../../src/temporal';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/shared';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'herald-engine-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('HERALD_TEMPORAL_ENGINE is dev by default, server on request, anything else refused', () => {
  expect(loadConfig({}).temporalEngine.engine).toBe('dev');
  const c = loadConfig({ HERALD_TEMPORAL_ENGINE: 'server', HERALD_POSTGRES_PORT: '5433', HERALD_POSTGRES_BIN_DIR: '/opt/pg/bin' });
  expect(c.temporalEngine).toMatchObject({ engine: 'server', postgresPort: 5433 });
  expect(c.tools.postgresBinDir).toBe('/opt/pg/bin');
  expect(loadConfig({}).temporalEngine.postgresSynchronousCommit).toBe('on');
  expect(loadConfig({ HERALD_POSTGRES_SYNCHRONOUS_COMMIT: 'off' }).temporalEngine.postgresSynchronousCommit).toBe('off');
  expect(() => loadConfig({ HERALD_TEMPORAL_ENGINE: 'sqlite' })).toThrow(ConfigError);
  expect(() => loadConfig({ HERALD_TEMPORAL_ENGINE: 'sqlite' })).toThrow(/HERALD_TEMPORAL_ENGINE: must be dev or server/);
});

test('a new data dir takes the engine it is first started with, and keeps it', async () => {
  expect(await engineOfDataDir(dir)).toBeNull();
  await checkEngineOfDataDir(dir, 'server');
  expect(readFileSync(path.join(dir, 'temporal-engine'), 'utf8').trim()).toBe('server');
  await expect(checkEngineOfDataDir(dir, 'server')).resolves.toBeUndefined();
  await expect(checkEngineOfDataDir(dir, 'dev')).rejects.toThrow(
    /belongs to the Temporal engine "server", and HERALD_TEMPORAL_ENGINE is "dev"[\s\S]*HERALD_TEMPORAL_ENGINE=server[\s\S]*HERALD_DATA_DIR/,
  );
});

test('a data dir from before the engine setting is the dev server\'s when it holds its database', async () => {
  mkdirSync(path.join(dir, 'temporal'));
  writeFileSync(path.join(dir, 'temporal', 'temporal.db'), '');
  expect(await engineOfDataDir(dir)).toBe('dev');
  await expect(checkEngineOfDataDir(dir, 'server')).rejects.toThrow(/belongs to the Temporal engine "dev"/);
  await checkEngineOfDataDir(dir, 'dev');
  expect(readFileSync(path.join(dir, 'temporal-engine'), 'utf8').trim()).toBe('dev');
});

test('the generated server config is YAML with the tuning, loopback ports and both PostgreSQL stores', () => {
  const yaml = parse(
    serverConfigYaml({
      port: 7233,
      ports: { httpPort: 7243, historyPort: 7234, matchingPort: 7235, workerPort: 7239, membership: [21001, 21002, 21003, 21004] },
      metricsPort: 9090,
      postgres: { host: '127.0.0.1', port: 5432 },
      tuning: { ...DEFAULT_SERVER_TUNING, numHistoryShards: 2, maxConns: 8 },
      dynamicConfigFile: '/data/dc.yaml',
    }),
  );
  expect(yaml.persistence.numHistoryShards).toBe(2);
  expect(yaml.persistence.datastores['postgres-default'].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '127.0.0.1:5432', maxConns: 8 });
  expect(yaml.persistence.datastores['postgres-visibility'].sql).toMatchObject({ databaseName: 'temporal_visibility', maxConns: 2 });
  expect(yaml.services.frontend.rpc).toMatchObject({ grpcPort: 7233, httpPort: 7243, bindOnLocalHost: true });
  // Membership ports are stored in a smallint column: below 32768.
  for (const s of ['frontend', 'history', 'matching', 'worker']) expect(yaml.services[s].rpc.membershipPort).toBeLessThan(32768);
  expect(yaml.dynamicConfigClient.filepath).toBe('/data/dc.yaml');
  const dc = parse(dynamicConfigYaml({ ...DEFAULT_SERVER_TUNING, taskQueuePartitions: 3 }));
  expect(dc['matching.numTaskqueueReadPartitions'][0].value).toBe(3);
  expect(dc['system.enableActivityEagerExecution'][0].value).toBe(true);
});

test('the server engine registers every search attribute the workflows set, HeraldAccountId included', () => {
  for (const name of SEARCH_ATTRIBUTE_NAMES) expect(SERVER_SEARCH_ATTRIBUTES).toContain(name);
  expect(SERVER_SEARCH_ATTRIBUTES).toContain('HeraldAccountId');
});

test('the start-up check names each missing search attribute and the command that adds it', () => {
  const missing = missingSearchAttributes({ HeraldStatus: 2 });
  expect(missing).toEqual(SEARCH_ATTRIBUTE_NAMES.filter((n) => n !== 'HeraldStatus'));
  const message = missingSearchAttributesMessage('prod', missing, 'PermissionDenied');
  for (const name of missing) expect(message).toContain(`--name ${name} --type Keyword`);
  expect(message).toContain('temporal operator search-attribute create --namespace prod');
  expect(message).toContain('PermissionDenied');
});

test('no Go and no binary: one message naming what to install and the setting for an existing binary', async () => {
  const saved = process.env.PATH;
  // No `go` here (Jest's process.env reaches the build's spawn, not the `go version` probe, so the
  // message says the build failed rather than that Go is missing: the advice is the same).
  process.env.PATH = dir;
  try {
    await expect(ensureTool('temporal-server', { cacheDir: dir })).rejects.toThrow(
      /Cannot get temporal-server 1\.29\.1 \((Go is not installed|go build failed: spawn go ENOENT)\)[\s\S]*Install Go[\s\S]*go install go\.temporal\.io\/server\/cmd\/server@v1\.29\.1[\s\S]*HERALD_TEMPORAL_SERVER_BIN/,
    );
  } finally {
    process.env.PATH = saved;
  }
  expect(toolEnvVar('temporal-sql-tool')).toBe('HERALD_TEMPORAL_SQL_TOOL_BIN');
});

test('a PostgreSQL bin dir without the server binaries is refused by name', async () => {
  await expect(findPostgres(dir)).rejects.toThrow(`HERALD_POSTGRES_BIN_DIR=${dir} does not hold the PostgreSQL server binaries`);
});
