import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Secret } from './secret.js';

/** Start-up configuration failure: every problem, each naming its key and what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration for ${app}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Secrets may come from the environment or from a mounted file: KEY_FILE=/path wins over KEY
 * (the Kubernetes Secret / Docker secret convention). The value is wrapped in Secret.
 */
export const secret = () =>
  z
    .string()
    .min(1, 'must not be empty')
    .transform((v) => new Secret(v));

export const optionalSecret = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : new Secret(v)));

/** host:port (IPv4, name, or [IPv6]); port 0 allowed (tests pick a free port). */
export const listenAddress = (defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .transform((v, ctx) => {
      const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v.trim());
      const port = m ? Number(m[3]) : NaN;
      if (!m || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected HOST:PORT (e.g. 127.0.0.1:4000), got "${v}"` });
        return z.NEVER;
      }
      return { host: (m[1] ?? m[2]) as string, port };
    });

export const booleanString = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'expected true or false' })
    .optional()
    .transform((v) => (v === undefined ? defaultValue : ['true', '1', 'yes', 'on'].includes(v)));

export const positiveInt = (defaultValue: number) =>
  z.coerce.number({ message: 'expected a number' }).int('expected an integer').positive('expected > 0').default(defaultValue);

export const urlString = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL (${protocols.map((p) => p + '://').join(', ')})` },
  );

/** Reads KEY_FILE indirections into KEY, recording unreadable files as problems. */
function resolveFileIndirections(keys: string[], env: Env, problems: string[]): Env {
  const out: Env = { ...env };
  for (const key of keys) {
    const file = env[`${key}_FILE`];
    if (!file) continue;
    try {
      out[key] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      problems.push(`${key}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return out;
}

/**
 * Validates the environment against a schema whose keys ARE the environment variable names,
 * once, at start-up. Nothing else in an app reads process.env.
 */
export function loadConfig<S extends z.ZodObject<z.ZodRawShape>>(app: string, schema: S, env: Env = process.env): z.output<S> {
  const problems: string[] = [];
  const keys = Object.keys(schema.shape);
  const resolved = resolveFileIndirections(keys, env, problems);
  const input: Record<string, string | undefined> = {};
  for (const key of keys) {
    const v = resolved[key];
    input[key] = v === '' ? undefined : v;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(root)';
      const received = issue.code === 'invalid_type' && input[String(issue.path[0])] === undefined ? 'missing; ' : '';
      problems.push(`${key}: ${received}${issue.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(app, problems);
  return (parsed as { data: z.output<S> }).data;
}
