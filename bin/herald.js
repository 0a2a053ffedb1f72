#!/usr/bin/env node
// The `herald` command. In production images (NODE_ENV=production, after `npm run build`) it runs
// the compiled output; everywhere else it runs the TypeScript sources through tsx (a runtime
// dependency), so a stale dist/ can never answer for newer sources.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (process.env.NODE_ENV === 'production' && fs.existsSync(compiled)) {
  require(compiled).runCli(process.argv);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli.ts')).runCli(process.argv);
}
