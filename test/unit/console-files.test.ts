/**
 * The console is static files served as they are: every module it imports is a file of its own
 * directory, and nothing is loaded from another host (no CDN: many bank networks have no internet).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { CONSOLE_DIR, CONSOLE_VENDOR } from '../../src/app';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const all = files(CONSOLE_DIR);

test('the console has its page, styles and modules', () => {
  const names = all.map((f) => path.relative(CONSOLE_DIR, f)).sort();
  expect(names).toEqual(expect.arrayContaining(['index.html', 'style.css', 'js/app.js', 'js/api.js', 'js/webhooks.js', 'js/history.js']));
});

/** A console path (relative to its directory) as served: its own file, or a package file under vendor/. */
function served(rel: string): string {
  return rel.startsWith('vendor/') ? (CONSOLE_VENDOR[rel.slice('vendor/'.length)] ?? path.join(CONSOLE_DIR, rel)) : path.join(CONSOLE_DIR, rel);
}

test('every relative import and every src/href resolves to a file of the console (or a package file it serves)', () => {
  let checked = 0;
  for (const file of all.filter((f) => /\.(js|html)$/.test(f))) {
    const text = readFileSync(file, 'utf8');
    const refs = [...text.matchAll(/(?:from\s+|import\s+)'(\.[^']+)'|(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1] ?? m[2]);
    for (const ref of refs) {
      expect({ ref, exists: existsSync(served(path.relative(CONSOLE_DIR, path.resolve(path.dirname(file), ref)))) }).toEqual({ ref, exists: true });
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(10);
});

test('nothing is loaded from another host', () => {
  for (const file of all) {
    const text = readFileSync(file, 'utf8');
    // Only the placeholder example hosts appear in hints, never as src/href/import/url().
    expect(text).not.toMatch(/(?:src|href)=["']https?:|import\s[^;]*['"]https?:|url\(\s*['"]?https?:|@import/);
  }
});

test('the package files served under vendor/ exist and come from node_modules', () => {
  expect(Object.keys(CONSOLE_VENDOR).length).toBeGreaterThan(0);
  for (const file of Object.values(CONSOLE_VENDOR)) {
    expect(existsSync(file)).toBe(true);
    expect(file).toContain(`${path.sep}node_modules${path.sep}`);
  }
});
