import { isPkiError, readCsr, type CsrInfo } from '@enrollgate/pki';
import type { AcmeIdentifier } from '@enrollgate/store';
import { AcmeProblem, type Subproblem } from '../acme/problems.js';
import { canonicalIp } from '../orders/identifiers.js';

/** Signature algorithms accepted on a CSR (Boulder csr/csr.go: no MD5, SHA-1 or DSA). */
export const CSR_SIGNATURE_ALGORITHMS: readonly string[] = [
  'sha256WithRSAEncryption',
  'sha384WithRSAEncryption',
  'sha512WithRSAEncryption',
  'ecdsa-with-SHA256',
  'ecdsa-with-SHA384',
  'ecdsa-with-SHA512',
];

const badCsr = (detail: string, subproblems?: Subproblem[]) => new AcmeProblem('badCSR', detail, subproblems ? { subproblems } : {});

export interface CsrCheckInput {
  /** DER from the finalize payload */
  der: Buffer;
  identifiers: readonly AcmeIdentifier[];
  /** The account key's SubjectPublicKeyInfo: the CSR must not reuse it (RFC 8555 §11.1). */
  accountSpki: Buffer;
}

/**
 * The finalize checks of RFC 8555 §7.4 and Boulder's csr.VerifyCSR: the signature verifies with
 * an allowed algorithm, the key is not the account key, only DNS and IP names, and the names
 * (SANs plus a CN) equal the order's identifiers exactly. The key's type and size are the
 * policy's (libs/policy key_policy, AcmePolicy.enrollment), checked after these.
 */
export function checkCsr(input: CsrCheckInput): CsrInfo {
  let csr: CsrInfo;
  try {
    csr = readCsr(new Uint8Array(input.der));
  } catch (e) {
    if (isPkiError(e)) throw badCsr(`CSR rejected: ${e.message}`);
    throw e;
  }
  if (!CSR_SIGNATURE_ALGORITHMS.includes(csr.signatureAlgorithm.name)) {
    throw badCsr(`CSR signature algorithm ${csr.signatureAlgorithm.name} is not accepted (${CSR_SIGNATURE_ALGORITHMS.join(', ')})`);
  }
  if (Buffer.from(csr.spki).equals(input.accountSpki)) throw badCsr('the CSR key must not be the account key (RFC 8555 §11.1)');

  const requested = new Map<string, AcmeIdentifier>();
  for (const san of csr.sans) {
    if (san.type === 'dns') requested.set(`dns:${san.value.toLowerCase()}`, { type: 'dns', value: san.value.toLowerCase() });
    else if (san.type === 'ip') {
      const ip = canonicalIp(san.value) ?? san.value;
      requested.set(`ip:${ip}`, { type: 'ip', value: ip });
    } else throw badCsr(`CSR requests a ${san.type} name (${san.value}); only DNS names and IP addresses are issued`);
  }
  if (csr.commonName !== undefined) {
    const cn = csr.commonName.toLowerCase();
    if (cn.length > 64) throw badCsr('CSR common name longer than 64 characters');
    if (canonicalIp(cn) !== undefined) throw badCsr('CSR common name must not be an IP address');
    requested.set(`dns:${cn}`, { type: 'dns', value: cn });
  }
  if (requested.size === 0) throw badCsr('CSR names no identifier');
  const ordered = new Map(input.identifiers.map((i) => [`${i.type}:${i.value}`, i]));
  const subproblems: Subproblem[] = [];
  for (const [k, id] of ordered)
    if (!requested.has(k)) subproblems.push({ type: 'badCSR', detail: `ordered ${id.type} ${id.value} is missing from the CSR`, identifier: id });
  for (const [k, id] of requested)
    if (!ordered.has(k)) subproblems.push({ type: 'badCSR', detail: `CSR names ${id.type} ${id.value}, which the order does not hold`, identifier: id });
  if (subproblems.length > 0) throw badCsr('CSR names must equal the order identifiers exactly', subproblems);
  return csr;
}
