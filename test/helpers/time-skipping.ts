/**
 * A time-skipping Temporal test server for workflow tests (TestWorkflowEnvironment), without the
 * SDK's download (these machines reach package registries only): Temporal's Java test server from
 * Maven Central, its classpath resolved once with `mvn` and cached next to the other tools.
 *
 * We start the JVM ourselves instead of handing the SDK an `existing-path` executable: the SDK's
 * launcher gives a server 5 s to open its port, less than a JVM needs on a busy 2-core machine.
 * The environment is then built by TestWorkflowEnvironment's own factory for an existing server,
 * with time skipping on (the public `createFromExistingServer` hard-codes it off).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../src/embedded/child-process';
import { defaultCacheDir } from '../../src/embedded/tools';

const TEST_SERVER_VERSION = '1.31.0';

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>herald</groupId><artifactId>temporal-test-server-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>2.0.16</version></dependency>
  </dependencies>
</project>
`;

/** The test server's Java classpath; resolved (and its jars fetched) by Maven on first use. */
export async function testServerClasspath(cacheDir = process.env.HERALD_TOOLS_DIR ?? defaultCacheDir()): Promise<string> {
  const dir = path.join(cacheDir, `temporal-test-server-${TEST_SERVER_VERSION}`);
  const file = path.join(dir, 'classpath.txt');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'pom.xml'), POM);
  const partial = `${file}.${process.pid}`;
  try {
    await promisify(execFile)('mvn', ['-q', '-B', '-f', path.join(dir, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${partial}`], {
      timeout: 600_000,
    });
  } catch (err) {
    throw new Error(`could not resolve Temporal's Java test server with Maven (needs java and mvn): ${(err as Error).message}`);
  }
  renameSync(partial, file); // atomic: a concurrent test file reads a whole classpath or none
  return readFileSync(file, 'utf8').trim();
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface TimeSkipping {
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

export async function startTimeSkippingEnv(timeoutMs = 120_000): Promise<TimeSkipping> {
  const classpath = await testServerClasspath();
  const port = await freePort();
  const child: ChildProcess = spawn('java', ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', classpath, 'io.temporal.testserver.TestServer', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Temporal test server did not start on port ${port}: ${stderr || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const create = Reflect.get(TestWorkflowEnvironment, 'create') as (opts: unknown) => Promise<TestWorkflowEnvironment>;
  const env = await create.call(TestWorkflowEnvironment, {
    server: { type: 'existing' },
    address: `127.0.0.1:${port}`,
    namespace: 'default',
    supportsTimeSkipping: true,
  });
  return {
    env,
    async stop() {
      await env.teardown();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
