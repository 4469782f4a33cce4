/**
 * @enrollgate/policy: who may get which certificate. acme2certifier's order and EAB-profile
 * rules (allowed_domainlist, allowed_iplist, identifier_limit, wildcard_certificate_disable,
 * template selection by EAB profile → ACME profile → header → default), key policy, the SAN
 * attribute guard, and the acme_srv.cfg importer. Every decision is `{decision, rule, …}`.
 */
export * from './decision.js';
export * from './logging.js';
export * from './identifiers/domain-list.js';
export * from './identifiers/ip-list.js';
export * from './identifiers/identifier-rules.js';
export * from './identifiers/identifier-policy.js';
export * from './identifiers/csr-names.js';
export * from './keys/key-policy.js';
export * from './san/san-attribute.js';
export * from './templates/template-name.js';
export * from './templates/header-template.js';
export * from './templates/template-resolution.js';
export * from './profiles/acme-profiles.js';
export * from './eab/mac-key.js';
export * from './eab/key-profile.js';
export * from './eab/key-profile-store.js';
export * from './config/policy-config.js';
export * from './policy.js';
export * from './open-policy.js';
export * from './metrics.js';
export * from './a2c/ini.js';
export * from './a2c/import.js';
export * from './a2c/write.js';
export { runImportCli, USAGE as IMPORT_A2C_USAGE, type CliIo } from './a2c/cli.js';
