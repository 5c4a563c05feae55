#!/usr/bin/env node
'use strict';
// A reader that closes the pipe early (`meridian schema | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
// The CLI is written in TypeScript and compiled to dist/ by `npm ci` (the prepare script) or `npm run build`.
require('../dist/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.stack : err); process.exitCode = 1; },
);
