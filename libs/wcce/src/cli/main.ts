#!/usr/bin/env node
// `wcce`: MS-ICPR enrollment from the command line, like Certipy's `req` (see run.ts USAGE).
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
});
process.exitCode = code;
