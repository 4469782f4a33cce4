#!/usr/bin/env node
// The `wcce` command. A committed shim so npm can link the bin at install time, before the
// TypeScript build has produced dist/ (see src/cli/run.ts for the usage and exit codes).
await import('../dist/cli/main.js');
