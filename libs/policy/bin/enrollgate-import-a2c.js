#!/usr/bin/env node
// `enrollgate-import-a2c acme_srv.cfg [--out DIR]`: a committed shim so npm can link the bin at
// install time, before the TypeScript build has produced dist/ (see src/a2c/cli.ts).
await import('../dist/import-a2c.js');
