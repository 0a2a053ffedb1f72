/**
 * Temporal's time-skipping test server, for workflow tests (TestWorkflowEnvironment.createTimeSkipping).
 * The SDK's default is to download a native build from an internet host; the same server is
 * published on Maven Central as the Java artifact io.temporal:temporal-test-server (main class
 * io.temporal.testserver.TestServer), and Java and Maven are what these machines have. So: resolve
 * its jars with Maven (scripts/test-server/pom.xml) into the tools cache once, and write a launcher
 * that the SDK runs as an `existing-path` executable. The SDK calls it with the port as the only
 * argument, then gives the server 5 seconds to answer; a cold JVM takes about that long on a busy
 * two-core machine, so the build also records a class-data archive (AppCDS) of one start, which
 * brings later starts under a second.
 *
 * Like the other tools, it is built in a temporary directory and renamed into place, so a
 * half-built cache is never used.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { freePort, startProcess, waitUntilReady } from './child-process';
import { defaultCacheDir, isExecutable } from './tools';
import { fileExists } from './files';

const run = promisify(execFile);

/** The Maven project that names the artifact and its version (the one place the version is set). */
export const TEST_SERVER_POM = path.join(__dirname, '..', '..', 'scripts', 'test-server', 'pom.xml');
const LAUNCHER = 'temporal-test-server';
const ARCHIVE = 'app.jsa';

export function testServerVersion(pom = TEST_SERVER_POM): string {
  const m = /<temporal\.test-server\.version>([^<]+)<\/temporal\.test-server\.version>/.exec(readFileSync(pom, 'utf8'));
  if (!m) throw new Error(`${pom} has no <temporal.test-server.version>`);
  return m[1].trim();
}

/**
 * Where the launcher lives: `<tools dir>/temporal-test-server-<version>-<hash>/temporal-test-server`.
 * The hash covers the pom and the launcher, so changing either builds a new copy instead of reusing
 * one that no longer matches.
 */
export function testServerLauncherPath(cacheDir = process.env.HERALD_TOOLS_DIR || defaultCacheDir()): string {
  const version = testServerVersion();
  const hash = createHash('sha256').update(readFileSync(TEST_SERVER_POM)).update(launcherScript('java', version)).digest('hex').slice(0, 8);
  return path.join(cacheDir, `temporal-test-server-${version}-${hash}`, LAUNCHER);
}

export interface TestServerOptions {
  /** The tools cache; default HERALD_TOOLS_DIR, else ~/.cache/herald/tools. */
  cacheDir?: string;
  /** Progress lines for a human. */
  log?: (line: string) => void;
}

/** The launcher's path, resolving the jars and writing the launcher first if this version is not cached yet. */
export async function ensureTestServer(opts: TestServerOptions = {}): Promise<string> {
  const log = opts.log ?? (() => {});
  const launcher = testServerLauncherPath(opts.cacheDir);
  if (await isExecutable(launcher)) return launcher;

  const target = path.dirname(launcher);
  const version = testServerVersion();
  const java = await findJava();
  await requireCommand('mvn', ['-v'], 'Maven (3.6 or newer)');
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = await fs.mkdtemp(path.join(path.dirname(target), '.build-test-server-'));
  try {
    await fs.chmod(tmp, 0o755);
    log(`Resolving Temporal's test server ${version} from Maven Central into ${target} (first run only; about a minute)...`);
    await run('mvn', ['-B', '-q', '-f', TEST_SERVER_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${path.join(tmp, 'lib')}`, '-DincludeScope=runtime'], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`mvn dependency:copy-dependencies failed: ${lastLines(`${err.stdout ?? ''}\n${err.stderr ?? ''}`) || err.message}`);
    });
    await fs.writeFile(path.join(tmp, LAUNCHER), launcherScript(java, version), { mode: 0o755 });
    log('Recording a class-data archive of one test server start (faster starts)...');
    await recordClassArchive(path.join(tmp, LAUNCHER));
    if (!(await fileExists(path.join(tmp, ARCHIVE)))) log(`warning: ${java} wrote no class-data archive; the test server will start slower`);
    try {
      await fs.rename(tmp, target);
    } catch (err) {
      // Another process finished the same build first: use its copy.
      if (!(await isExecutable(launcher))) throw err;
    }
    log(`Temporal test server ${version} ready: ${launcher}`);
    return launcher;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The launcher runs from its own directory with a relative class path: the class-data archive
 * records the class path, and a relative one stays valid after the build directory is renamed.
 * `exec`, so the SDK's kill reaches the JVM itself. The java binary is fixed at build time because
 * the archive only fits the JVM that wrote it (another JVM ignores it and starts slower).
 */
function launcherScript(java: string, version: string): string {
  return `#!/bin/sh
# Temporal's test server ${version} (io.temporal:temporal-test-server from Maven Central), written by
# Herald's src/embedded/test-server.ts. Usage: ${LAUNCHER} <port> [--enable-time-skipping]
cd "$(dirname "$0")" || exit 1
if [ -n "$HERALD_TEST_SERVER_RECORD_ARCHIVE" ]; then
  cds="-XX:ArchiveClassesAtExit=${ARCHIVE}"
elif [ -f ${ARCHIVE} ]; then
  cds="-XX:SharedArchiveFile=${ARCHIVE}"
else
  cds=""
fi
# A small heap and the simple JIT and GC: the server holds a few test workflows and lives for one test file.
exec '${java.replace(/'/g, "'\\''")}' $cds -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m -cp 'lib/*' io.temporal.testserver.TestServer "$@"
`;
}

/** One start of the server that answers a client call, then a clean exit: the JVM writes the archive. */
async function recordClassArchive(launcher: string): Promise<void> {
  const port = await freePort();
  const proc = startProcess('temporal test server', launcher, [String(port)], { env: { ...process.env, HERALD_TEST_SERVER_RECORD_ARCHIVE: '1' } });
  try {
    await waitUntilReady(
      proc,
      async () => {
        const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: '2 seconds' });
        try {
          await connection.workflowService.getSystemInfo({});
          return true;
        } finally {
          await connection.close();
        }
      },
      120_000,
    );
  } finally {
    // SIGTERM: the server's shutdown hook runs, the JVM exits normally and dumps the archive.
    await proc.stop(60_000);
  }
}

async function findJava(): Promise<string> {
  const candidates = process.env.JAVA_HOME ? [path.join(process.env.JAVA_HOME, 'bin', 'java')] : [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) candidates.push(path.join(dir, 'java'));
  for (const file of candidates) {
    if (await isExecutable(file)) {
      await requireCommand(file, ['-version'], 'Java 11 or newer');
      return fs.realpath(file);
    }
  }
  throw new Error("Cannot run Temporal's test server: Java is not installed (install a JDK 11 or newer, or set JAVA_HOME)");
}

async function requireCommand(file: string, args: string[], what: string): Promise<void> {
  try {
    await run(file, args);
  } catch (err) {
    throw new Error(`Cannot build Temporal's test server: ${what} is needed (\`${path.basename(file)} ${args.join(' ')}\` failed: ${(err as Error).message})`);
  }
}


function lastLines(text: string, n = 8): string {
  return text.split('\n').filter(Boolean).slice(-n).join(' | ');
}
