import { readFileSync } from 'node:fs';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';
import { errorMessage } from './error-message.js';

export const DEFAULT_DATABASE_URL = 'sqlite:.enrollgate/enrollgate.db';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `usage: enrollgate-store migrate [--url URL]

  migrate    apply every pending migration
  --url URL  database URL (default: the contents of $DATABASE_URL_FILE, $DATABASE_URL, else ${DEFAULT_DATABASE_URL})
             postgres://user:password@host:5432/db[?schema=name] | sqlite:///abs/path.db
             | sqlite:relative/path.db | sqlite::memory:`;

type Parsed = { command: 'migrate'; url: string | undefined } | { command: 'help' } | { error: string };

function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command !== 'migrate') return { error: `unknown command '${command}'` };
  let url: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--url') {
      const value = rest[++i];
      if (value === undefined) return { error: '--url needs a value' };
      url = value;
    } else if (arg.startsWith('--url=')) {
      url = arg.slice('--url='.length);
    } else {
      return { error: `unexpected argument '${arg}'` };
    }
  }
  return { command: 'migrate', url };
}

/** The store's command line, apart from process globals so it can be tested. Returns the exit code. */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  const parsed = parseArgs(argv);
  if ('error' in parsed) {
    io.err(`enrollgate-store: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  if (parsed.command === 'help') {
    io.out(USAGE);
    return 0;
  }
  let url = parsed.url ?? (env['DATABASE_URL'] || DEFAULT_DATABASE_URL);
  const urlFile = parsed.url === undefined ? env['DATABASE_URL_FILE'] : undefined;
  if (urlFile) {
    // DATABASE_URL_FILE wins over DATABASE_URL, as in the apps (a mounted Kubernetes Secret)
    try {
      url = readFileSync(urlFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      io.err(`enrollgate-store: DATABASE_URL_FILE: cannot read ${urlFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return 2;
    }
  }
  let database: ReturnType<typeof openDatabase> | undefined;
  try {
    database = openDatabase(url);
    const applied = await migrateToLatest(database);
    if (applied.length === 0) io.out(`${database.url}: already up to date`);
    else io.out(`${database.url}: applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}`);
    return 0;
  } catch (e) {
    io.err(`enrollgate-store: migration failed: ${errorMessage(e)}`);
    return 1;
  } finally {
    await database?.close();
  }
}
