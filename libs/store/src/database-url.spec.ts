import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';
import { StoreConfigError } from './errors.js';

describe(parseDatabaseUrl.name, () => {
  it.each([
    ['sqlite:///var/lib/enrollgate/eg.db', { dialect: 'sqlite', filename: '/var/lib/enrollgate/eg.db' }],
    ['sqlite:/var/lib/eg.db', { dialect: 'sqlite', filename: '/var/lib/eg.db' }],
    ['sqlite:.enrollgate/enrollgate.db', { dialect: 'sqlite', filename: '/srv/app/.enrollgate/enrollgate.db' }],
    ['sqlite:data/my%20db.db', { dialect: 'sqlite', filename: '/srv/app/data/my db.db' }],
    ['sqlite::memory:', { dialect: 'sqlite', filename: ':memory:' }],
    ['  sqlite::memory:\n', { dialect: 'sqlite', filename: ':memory:' }],
    ['postgres://eg:s3cret@db.internal:5432/enrollgate', { dialect: 'postgres', connectionString: 'postgres://eg:s3cret@db.internal:5432/enrollgate' }],
    [
      'postgresql://eg@db/enrollgate?sslmode=require&schema=tenant_a',
      { dialect: 'postgres', connectionString: 'postgresql://eg@db/enrollgate?sslmode=require', schema: 'tenant_a' },
    ],
    ['postgres:///enrollgate?host=/var/run/postgresql', { dialect: 'postgres', connectionString: 'postgres:///enrollgate?host=/var/run/postgresql' }],
    [
      'postgres://db/eg?options=-c%20statement_timeout%3D5000&schema=s',
      { dialect: 'postgres', connectionString: 'postgres://db/eg', schema: 's', options: '-c statement_timeout=5000' },
    ],
    ['postgres://db/eg?prepare=false&sslmode=require', { dialect: 'postgres', connectionString: 'postgres://db/eg?sslmode=require', prepare: false }],
    ['postgres://db/eg?prepare=true', { dialect: 'postgres', connectionString: 'postgres://db/eg', prepare: true }],
  ])('parses %j', (url, expected) => {
    expect(parseDatabaseUrl(url, { cwd: '/srv/app' })).toEqual(expected);
  });

  it('lets the schema option override ?schema=', () => {
    expect(parseDatabaseUrl('postgres://db/eg?schema=a', { schema: 'b' })).toMatchObject({ schema: 'b' });
  });

  it.each([
    ['', /empty/],
    ['mysql://root@db/eg', /scheme 'mysql:' is not one of postgres:, postgresql:, sqlite:/],
    ['/var/lib/eg.db', /has no scheme/],
    ['sqlite:', /names no file/],
    ['sqlite://', /names no file/],
    ['sqlite://host/eg.db', /has a host part/],
    ['sqlite:///var/lib/', /names a directory/],
    ['sqlite:eg.db?mode=ro', /takes? none/],
    ['sqlite:bad%zz.db', /malformed %-escape/],
    ['postgres://', /names no host/],
    ['postgres://db/eg?prepare=no', /prepare must be given once, as true or false/],
    ['postgres://db/eg?prepare=true&prepare=false', /prepare must be given once/],
    ['postgres://db/eg?schema=Tenant', /invalid PostgreSQL schema name 'Tenant'/],
    ['postgres://db/eg?schema=a;drop', /invalid PostgreSQL schema name/],
    ['postgres://db/eg?schema=a&schema=b', /2 schema parameters/],
  ])('refuses %j with a StoreConfigError naming the problem', (url, message) => {
    const attempt = () => parseDatabaseUrl(url);
    expect(attempt).toThrow(StoreConfigError);
    expect(attempt).toThrow(message);
  });

  it('refuses a schema option for SQLite', () => {
    expect(() => parseDatabaseUrl('sqlite::memory:', { schema: 's' })).toThrow(/PostgreSQL only/);
  });

  it('never shows the password in an error', () => {
    expect(() => parseDatabaseUrl('mysql://root:hunter2@db/eg')).toThrow(/mysql:\/\/root:\*\*\*@db\/eg/);
    try {
      parseDatabaseUrl('postgres://eg:hunter2@db/eg?schema=BAD');
    } catch (e) {
      expect(String(e)).not.toContain('hunter2');
    }
  });
});

describe(redactDatabaseUrl.name, () => {
  it.each([
    ['postgres://eg:s3cret@db:5432/eg', 'postgres://eg:***@db:5432/eg'],
    ['postgres://db/eg?password=s3cret', 'postgres://db/eg?password=***'],
    ['postgres://eg@db/eg', 'postgres://eg@db/eg'],
    ['sqlite:eg.db', 'sqlite:eg.db'],
    ['not a url://u:p@h', 'not a url://u:***@h'],
  ])('%s → %s', (url, expected) => {
    expect(redactDatabaseUrl(url)).toBe(expected);
  });
});
