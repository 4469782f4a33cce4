import { ConfigError } from '../config/load.js';

/** Process entry of every app: configuration errors exit 2 with the list of problems; anything else exits 1. */
export function runMain(app: string, main: () => Promise<unknown>): void {
  main().catch((e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + '\n');
      process.exit(2);
    }
    process.stderr.write(`${app} failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
