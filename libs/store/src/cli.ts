#!/usr/bin/env node
// `node libs/store/dist/cli.js migrate [--url URL]` (npm run migrate).
import { runCli } from './cli-command.js';

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
