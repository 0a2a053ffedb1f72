#!/usr/bin/env node
// The `herald` command. Runs the TypeScript sources through tsx (a runtime dependency), or the
// compiled output when `npm run build` has produced it.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (fs.existsSync(compiled)) {
  require(compiled).runCli(process.argv);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli.ts')).runCli(process.argv);
}
