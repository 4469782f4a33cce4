/**
 * Certificate templates of the simulated CA. The built-ins mirror the AD CS templates that
 * enrollgate's users publish: WebServer (and the usual v2 copy, WebServerModified), Machine,
 * User, a ManagerApproval template that pends, and NDES's three: its two RA certificates
 * (EnrollmentAgentOffline signs, CEPEncryption decrypts: KU digitalSignature resp.
 * keyEncipherment, both with EKU Certificate Request Agent, research/scep-windows.md §2.1) and the
 * default device template IPSECIntermediateOffline (EKU IKE intermediate, §4 registry defaults).
 *
 * Every template takes the subject from the request ("Supply in the request"); the simulator has
 * no directory to build names from. A JSON or YAML file can override fields of built-ins, add
 * templates, or unpublish one (`Name: false`), validated with a message per bad field.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Eku, KEY_USAGES, type IssuableSanType, type KeyUsageName, type NamedCurve } from '@enrollgate/pki';

const SAN_TYPES = ['dns', 'ip', 'email', 'upn', 'uri'] as const satisfies readonly IssuableSanType[];
const CURVES = ['P-256', 'P-384', 'P-521'] as const satisfies readonly NamedCurve[];
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;
const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const templateSchema = z
  .object({
    displayName: z.string().min(1).optional(),
    /** default validity of issued certificates */
    validityDays: z.number().int().positive().max(36500),
    keyUsages: z.array(z.enum(KEY_USAGES)).min(1),
    extendedKeyUsages: z.array(z.string().regex(OID, 'must be a dotted OID such as 1.3.6.1.5.5.7.3.1')),
    /** RSA keys are allowed when this is set; the value is the minimum modulus size (CERTSRV_E_KEY_LENGTH below it) */
    minRsaBits: z.number().int().min(512).max(16384).nullable(),
    /** EC curves allowed; empty for an RSA-only template */
    allowedCurves: z.array(z.enum(CURVES)),
    requireCommonName: z.boolean(),
    /** SAN types that may be copied from the request; a request with another type is denied */
    allowedSanTypes: z.array(z.enum(SAN_TYPES)),
    requireDnsSan: z.boolean(),
    requireEmailSan: z.boolean(),
    /** when set, every DNS name (SAN and CN) must equal or end with one of these (e.g. ".example.com") */
    allowedDnsSuffixes: z.array(z.string().min(1)).optional(),
    requiresApproval: z.boolean(),
    /** honour ValidityPeriod/ValidityPeriodUnits request attributes (AD CS EDITF_ATTRIBUTEENDDATE) */
    allowRequestedValidity: z.boolean(),
    /** cap for a requested validity; default validityDays */
    maxValidityDays: z.number().int().positive().max(36500).optional(),
  })
  .strict()
  .refine((t) => t.minRsaBits !== null || t.allowedCurves.length > 0, {
    message: 'allows no key type: set minRsaBits or allowedCurves',
    path: ['minRsaBits'],
  })
  .refine((t) => t.maxValidityDays === undefined || t.maxValidityDays >= t.validityDays, {
    message: 'must not be below validityDays',
    path: ['maxValidityDays'],
  });

export type TemplateSpec = z.infer<typeof templateSchema>;
export interface Template extends TemplateSpec {
  /** the template's common name, as sent in `CertificateTemplate:` */
  name: string;
}

const RSA_AND_EC = {
  minRsaBits: 2048,
  allowedCurves: ['P-256', 'P-384'] as NamedCurve[],
};
const RSA_ONLY = { minRsaBits: 2048, allowedCurves: [] as NamedCurve[] };
const SIGN_AND_ENCRYPT: KeyUsageName[] = ['digitalSignature', 'keyEncipherment'];

export const BUILTIN_TEMPLATES: Readonly<Record<string, TemplateSpec>> = {
  WebServer: {
    displayName: 'Web Server',
    validityDays: 730,
    keyUsages: SIGN_AND_ENCRYPT,
    extendedKeyUsages: [Eku.serverAuth],
    ...RSA_AND_EC,
    requireCommonName: false,
    allowedSanTypes: ['dns', 'ip'],
    requireDnsSan: false,
    requireEmailSan: false,
    requiresApproval: false,
    allowRequestedValidity: false,
  },
  WebServerModified: {
    displayName: 'Web Server (ACME)',
    validityDays: 90,
    keyUsages: SIGN_AND_ENCRYPT,
    extendedKeyUsages: [Eku.serverAuth, Eku.clientAuth],
    ...RSA_AND_EC,
    requireCommonName: false,
    allowedSanTypes: ['dns', 'ip'],
    requireDnsSan: true,
    requireEmailSan: false,
    requiresApproval: false,
    allowRequestedValidity: true,
    maxValidityDays: 397,
  },
  Machine: {
    displayName: 'Computer',
    validityDays: 365,
    keyUsages: SIGN_AND_ENCRYPT,
    extendedKeyUsages: [Eku.clientAuth, Eku.serverAuth],
    ...RSA_AND_EC,
    requireCommonName: true,
    allowedSanTypes: ['dns'],
    requireDnsSan: true,
    requireEmailSan: false,
    requiresApproval: false,
    allowRequestedValidity: false,
  },
  User: {
    displayName: 'User',
    validityDays: 365,
    keyUsages: SIGN_AND_ENCRYPT,
    extendedKeyUsages: [Eku.efs, Eku.emailProtection, Eku.clientAuth],
    ...RSA_AND_EC,
    requireCommonName: true,
    allowedSanTypes: ['email', 'upn'],
    requireDnsSan: false,
    requireEmailSan: true,
    requiresApproval: false,
    allowRequestedValidity: false,
  },
  ManagerApproval: {
    displayName: 'Web Server (manager approval)',
    validityDays: 365,
    keyUsages: SIGN_AND_ENCRYPT,
    extendedKeyUsages: [Eku.serverAuth, Eku.clientAuth],
    ...RSA_AND_EC,
    requireCommonName: false,
    allowedSanTypes: ['dns', 'ip'],
    requireDnsSan: false,
    requireEmailSan: false,
    requiresApproval: true,
    allowRequestedValidity: false,
  },
  EnrollmentAgentOffline: {
    displayName: 'Exchange Enrollment Agent (Offline request)',
    validityDays: 730,
    keyUsages: ['digitalSignature'],
    extendedKeyUsages: [Eku.certificateRequestAgent],
    ...RSA_ONLY,
    requireCommonName: true,
    allowedSanTypes: [],
    requireDnsSan: false,
    requireEmailSan: false,
    requiresApproval: false,
    allowRequestedValidity: false,
  },
  CEPEncryption: {
    displayName: 'CEP Encryption',
    validityDays: 730,
    // SCEP clients encrypt to this key with RSA key transport (RSA only: research/scep-windows.md §2.2).
    keyUsages: ['keyEncipherment'],
    extendedKeyUsages: [Eku.certificateRequestAgent],
    ...RSA_ONLY,
    requireCommonName: true,
    allowedSanTypes: [],
    requireDnsSan: false,
    requireEmailSan: false,
    requiresApproval: false,
    allowRequestedValidity: false,
  },
  IPSECIntermediateOffline: {
    displayName: 'IPSec (Offline request)',
    validityDays: 730,
    keyUsages: SIGN_AND_ENCRYPT,
    extendedKeyUsages: [Eku.ipsecIkeIntermediate],
    // MDM profiles still ask for 1024-bit keys (the seed SCEP profile does); NDES's default template accepts them.
    minRsaBits: 1024,
    allowedCurves: ['P-256', 'P-384'],
    requireCommonName: false,
    allowedSanTypes: ['dns', 'ip', 'email', 'upn', 'uri'],
    requireDnsSan: false,
    requireEmailSan: false,
    requiresApproval: false,
    // Intune sends ValidityPeriod name/value pairs in the CSR (research/scep-windows.md §4).
    allowRequestedValidity: true,
    maxValidityDays: 730,
  },
};

export class TemplateConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid certificate templates in ${source}:\n  - ${issues.join('\n  - ')}`);
    this.name = 'TemplateConfigError';
  }
}

/** The templates a CA publishes, looked up by name case-insensitively (as AD CS does). */
export class TemplateCatalog {
  private readonly byName = new Map<string, Template>();

  constructor(templates: Iterable<Template>) {
    for (const t of templates) this.byName.set(t.name.toLowerCase(), t);
  }

  static builtin(): TemplateCatalog {
    return new TemplateCatalog(
      Object.entries(BUILTIN_TEMPLATES).map(([name, spec]) => ({
        name,
        ...structuredClone(spec),
      })),
    );
  }

  get(name: string): Template | undefined {
    return this.byName.get(name.trim().toLowerCase());
  }

  names(): string[] {
    return [...this.byName.values()].map((t) => t.name);
  }

  /** Built-ins overridden by the file's `templates` map. Throws TemplateConfigError listing every bad field. */
  static async fromFile(path: string): Promise<TemplateCatalog> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new TemplateConfigError(path, [`cannot read the file: ${(e as Error).message}`]);
    }
    return TemplateCatalog.fromText(text, path);
  }

  static fromText(text: string, source: string): TemplateCatalog {
    let doc: unknown;
    try {
      doc = extname(source).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      throw new TemplateConfigError(source, [`not valid ${extname(source).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`]);
    }
    return TemplateCatalog.fromObject(doc, source);
  }

  static fromObject(doc: unknown, source: string): TemplateCatalog {
    const top = z
      .object({
        templates: z.record(z.string(), z.union([z.literal(false), z.record(z.string(), z.unknown())])),
      })
      .strict()
      .safeParse(doc);
    if (!top.success) throw new TemplateConfigError(source, formatIssues(top.error.issues, []));
    const merged = new Map<string, Template>(Object.entries(BUILTIN_TEMPLATES).map(([name, spec]) => [name.toLowerCase(), { name, ...structuredClone(spec) }]));
    const issues: string[] = [];
    for (const [name, entry] of Object.entries(top.data.templates)) {
      if (!TEMPLATE_NAME.test(name)) {
        issues.push(`templates.${name}: template names are 1-64 letters, digits, '.', '_' or '-' (the template's common name, not its display name)`);
        continue;
      }
      const key = name.toLowerCase();
      if (entry === false) {
        merged.delete(key);
        continue;
      }
      const base = merged.get(key);
      const candidate = base === undefined ? entry : { ...stripName(base), ...entry };
      const parsed = templateSchema.safeParse(candidate);
      if (!parsed.success) {
        issues.push(...formatIssues(parsed.error.issues, ['templates', name]));
        continue;
      }
      merged.set(key, { name: base?.name ?? name, ...parsed.data });
    }
    if (issues.length > 0) throw new TemplateConfigError(source, issues);
    return new TemplateCatalog(merged.values());
  }
}

function stripName(t: Template): TemplateSpec {
  const { name: _name, ...spec } = t;
  return spec;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly (string | number)[]): string[] {
  return issues.map((i) => {
    const path = [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.');
    return `${path || '(root)'}: ${i.message}`;
  });
}
