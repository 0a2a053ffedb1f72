/**
 * Finds or builds the two binaries of the embedded stack, in this order:
 * an explicit path from the configuration, the cache outside the repository, `go install`
 * from the Go module proxy, and the official download when the machine has internet.
 * Otherwise it fails with one message that says what to install.
 */
import { execFile } from 'node:child_process';
import { promises as fs, constants as fsc } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FERRETDB_PATCH_LEVEL, patchFerretDb } from './ferretdb-patches';

const run = promisify(execFile);

export type ToolName = 'temporal' | 'ferretdb' | 'temporal-server' | 'temporal-sql-tool' | 'temporal-ui-server';

interface ToolSpec {
  name: ToolName;
  version: string;
  module: string;
  pkg: string;
  downloadUrl: () => string | null;
  /** In a tarball (true) or a bare binary (false). */
  archived: boolean;
  /** Names the cache directory; changes whenever our build of the same version changes. */
  cacheTag: string;
  /** The file `go install` writes, when not the tool's name (`cmd/server` makes `server`). */
  goBinary?: string;
}

const arch = os.arch() === 'x64' ? 'amd64' : os.arch();

export const TOOL_SPECS: Record<ToolName, ToolSpec> = {
  // Pinned to CLI v1.5.1 (Temporal server 1.29): later tags carry a `replace` directive that
  // `go install pkg@version` refuses.
  temporal: {
    name: 'temporal',
    version: '1.5.1',
    module: 'github.com/temporalio/cli',
    pkg: 'github.com/temporalio/cli/cmd/temporal',
    downloadUrl: () => `https://temporal.download/cli/archive/v1.5.1?platform=${os.platform()}&arch=${arch}`,
    archived: true,
    cacheTag: '1.5.1',
  },
  // FerretDB v1 is the last line that runs on SQLite; v2 needs PostgreSQL + DocumentDB.
  ferretdb: {
    name: 'ferretdb',
    version: '1.24.2',
    module: 'github.com/FerretDB/FerretDB',
    pkg: './cmd/ferretdb',
    downloadUrl: () =>
      os.platform() === 'linux' ? `https://github.com/FerretDB/FerretDB/releases/download/v1.24.2/ferretdb-linux-${arch}` : null,
    archived: false,
    // "-herald.N": built with Herald's patches (ferretdb-patches.ts); an older cached build is not reused.
    cacheTag: `1.24.2-herald.${FERRETDB_PATCH_LEVEL}`,
  },
  // The real server and its schema tool (HERALD_TEMPORAL_ENGINE=server): the same server version
  // the CLI above embeds. Their module has no `replace` directive, so `go install` takes them.
  'temporal-server': {
    name: 'temporal-server',
    version: '1.29.1',
    module: 'go.temporal.io/server',
    pkg: 'go.temporal.io/server/cmd/server',
    downloadUrl: () => null,
    archived: false,
    cacheTag: '1.29.1',
    goBinary: 'server',
  },
  'temporal-sql-tool': {
    name: 'temporal-sql-tool',
    version: '1.29.1',
    module: 'go.temporal.io/server',
    pkg: 'go.temporal.io/server/cmd/tools/sql',
    downloadUrl: () => null,
    archived: false,
    cacheTag: '1.29.1',
    goBinary: 'sql',
  },
  // The Web UI for the server engine (the dev server bundles the same version, see the CLI's go.mod).
  'temporal-ui-server': {
    name: 'temporal-ui-server',
    version: '2.42.1',
    module: 'github.com/temporalio/ui-server/v2',
    pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
    downloadUrl: () => null,
    archived: false,
    cacheTag: '2.42.1',
    goBinary: 'server',
  },
};

export interface ToolOptions {
  explicitPath?: string;
  cacheDir?: string;
  /** Progress lines for a human ("building FerretDB, this takes a few minutes"). */
  log?: (line: string) => void;
}

export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'herald', 'tools');
}

export function cachedToolPath(name: ToolName, cacheDir = defaultCacheDir()): string {
  const spec = TOOL_SPECS[name];
  return path.join(cacheDir, `${spec.name}-${spec.cacheTag}`, spec.name);
}

/** An executable regular file (the tool caches check their binaries with it). */
export async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsc.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Returns the path of a working binary, building or downloading it into the cache if needed. */
export async function ensureTool(name: ToolName, opts: ToolOptions = {}): Promise<string> {
  const log = opts.log ?? (() => {});
  if (opts.explicitPath) {
    if (await isExecutable(opts.explicitPath)) return opts.explicitPath;
    throw new Error(`${name}: the configured path ${opts.explicitPath} is not an executable file`);
  }
  const target = cachedToolPath(name, opts.cacheDir);
  if (await isExecutable(target)) return target;

  const spec = TOOL_SPECS[name];
  const failures: string[] = [];
  await fs.mkdir(path.dirname(target), { recursive: true });

  if (await hasGo()) {
    log(`Building ${name} ${spec.version} from Go modules into ${path.dirname(target)} (first run only; takes a few minutes)...`);
    try {
      await (name === 'ferretdb' ? buildFerretDb(target) : goInstall(spec, target));
      log(`Built ${name} ${spec.version}.`);
      return target;
    } catch (err) {
      failures.push(`go build failed: ${firstLines((err as Error).message)}`);
    }
  } else {
    failures.push('Go is not installed');
  }

  const url = spec.downloadUrl();
  if (url) {
    log(`Downloading ${name} ${spec.version}...`);
    try {
      await download(spec, url, target);
      return target;
    } catch (err) {
      failures.push(`download failed: ${(err as Error).message}`);
    }
  }

  const pkg = spec.pkg.startsWith('./') ? `${spec.module}/${spec.pkg.slice(2)}` : spec.pkg;
  const built = spec.goBinary ? ` && mv ${path.dirname(target)}/${spec.goBinary} ${target}` : '';
  throw new Error(
    `Cannot get ${name} ${spec.version} (${failures.join('; ')}).\n` +
      `Install Go (1.22 or newer) and run \`npm start\` again, or build it yourself:\n` +
      `  GOBIN=${path.dirname(target)} go install ${pkg}@v${spec.version}${built}\n` +
      `or point ${toolEnvVar(name)} at an existing binary.`,
  );
}

/** The setting naming an existing binary of a tool: HERALD_TEMPORAL_BIN, HERALD_TEMPORAL_SERVER_BIN, ... */
export function toolEnvVar(name: ToolName): string {
  return `HERALD_${name.toUpperCase().replace(/-/g, '_')}_BIN`;
}

async function hasGo(): Promise<boolean> {
  try {
    await run('go', ['version']);
    return true;
  } catch {
    return false;
  }
}

/** Builds into a temporary directory then renames, so a half-built binary is never cached. */
async function goInstall(spec: ToolSpec, target: string): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(path.dirname(target), '.build-'));
  try {
    await run('go', ['install', `${spec.pkg}@v${spec.version}`], {
      env: { ...process.env, GOBIN: tmp, CGO_ENABLED: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    await fs.rename(path.join(tmp, spec.goBinary ?? spec.name), target);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * FerretDB cannot be `go install`ed from the proxy: the install looks up module deprecations in a
 * version list the proxy here refuses, and its build/version package panics without a generated
 * version.txt. So: download the module, copy it, write version.txt, and build it as the main module.
 */
async function buildFerretDb(target: string): Promise<void> {
  const spec = TOOL_SPECS.ferretdb;
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
  const { stdout } = await run('go', ['mod', 'download', '-json', `${spec.module}@v${spec.version}`], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const dir = (JSON.parse(stdout) as { Dir?: string; Error?: string });
  if (!dir.Dir) throw new Error(dir.Error ?? 'go mod download returned no directory');
  const src = await fs.mkdtemp(path.join(path.dirname(target), '.src-'));
  try {
    await fs.cp(dir.Dir, src, { recursive: true });
    await run('chmod', ['-R', 'u+w', src]);
    await fs.writeFile(path.join(src, 'build', 'version', 'version.txt'), `v${spec.version}\n`);
    await patchFerretDb(src);
    const tmpBin = `${target}.tmp-${process.pid}`;
    await run('go', ['build', '-o', tmpBin, spec.pkg], { cwd: src, env, maxBuffer: 64 * 1024 * 1024 });
    await fs.rename(tmpBin, target);
  } finally {
    await fs.rm(src, { recursive: true, force: true });
  }
}

async function download(spec: ToolSpec, url: string, target: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const tmp = await fs.mkdtemp(path.join(path.dirname(target), '.dl-'));
  try {
    if (spec.archived) {
      const archive = path.join(tmp, 'archive.tar.gz');
      await fs.writeFile(archive, bytes);
      await run('tar', ['-xzf', archive, '-C', tmp, spec.name]);
    } else {
      await fs.writeFile(path.join(tmp, spec.name), bytes);
    }
    await fs.chmod(path.join(tmp, spec.name), 0o755);
    await fs.rename(path.join(tmp, spec.goBinary ?? spec.name), target);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

function firstLines(text: string, n = 6): string {
  return text.split('\n').filter(Boolean).slice(-n).join(' | ');
}
