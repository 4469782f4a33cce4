// Fixtures shared by the specs of libs/policy (excluded from the build).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCsr, generateKeyPair, parseCsr, type CsrInfo, type KeySpec, type SanEntry } from '@enrollgate/pki';
import { compileIdentifierRules, type IdentifierRules, type IdentifierRulesConfig } from '../identifiers/identifier-rules.js';

/** libs/policy/testdata */
export const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testdata');

/** The seed's EAB key-profile example (../shared/seeds/000_079a56b7670e57e5.txt), byte for byte. */
export const SEED_KEY_FILE = join(TESTDATA, 'kid_profiles.seed.json');
export const seedKeyFileText = (): string => readFileSync(SEED_KEY_FILE, 'utf8');

export function rules(overrides: Partial<IdentifierRulesConfig> = {}): IdentifierRules {
  return compileIdentifierRules({ allowedDomainlist: [], allowedIplist: [], identifierLimit: 20, wildcardCertificateDisable: false, ...overrides });
}

const keys = new Map<KeySpec, Promise<Awaited<ReturnType<typeof generateKeyPair>>>>();

/** A real CSR, parsed by @enrollgate/pki (key pairs cached per spec: RSA generation is slow). */
export async function csr(subject: string, sans: SanEntry[] = [], spec: KeySpec = 'p256'): Promise<CsrInfo> {
  if (!keys.has(spec)) keys.set(spec, generateKeyPair(spec));
  const built = await buildCsr({ subject, sans, keys: await (keys.get(spec) as ReturnType<typeof generateKeyPair>) });
  return parseCsr(built.der);
}
