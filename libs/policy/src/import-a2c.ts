#!/usr/bin/env node
// `enrollgate-import-a2c acme_srv.cfg [--out DIR] [--public-url URL]` (see a2c/cli.ts USAGE).
import { runImportCli } from './a2c/cli.js';

process.exitCode = runImportCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
