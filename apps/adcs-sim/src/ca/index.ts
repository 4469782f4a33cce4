/** The simulator's CA engine: templates, policy, request database. Independent of MS-ICPR. */
export {
  SimCaEngine,
  SimCaError,
  DEFAULT_CA_NAME,
  type SimCaEngineOptions,
  type SubmitRequest,
  type CaResponse,
  type RequestSummary,
  type SimCaErrorCode,
} from './engine.js';
export { TemplateCatalog, TemplateConfigError, BUILTIN_TEMPLATES, type Template, type TemplateSpec } from './templates.js';
export { Disposition, HResult, failureMessage, hresultHex, MESSAGE_ISSUED, MESSAGE_UNDER_SUBMISSION, type HResultName } from './hresult.js';
export { RequestAttributes, parseSanAttribute } from './attributes.js';
export { evaluatePolicy, dnsNameAllowed, requestedValidityDays, type PolicyDecision, type PolicyOptions } from './policy.js';
export type { RequestStatus, RequestRecord } from './request-store.js';
