import { PROBLEM_NS } from '../acme/problems.js';
import { acmeProblemOf, acmeProblemType } from './policy-problem.js';

describe(acmeProblemOf.name, () => {
  it('keeps the type, the detail and one subproblem per identifier (RFC 8555 §6.7.1)', () => {
    const sut = acmeProblemOf(
      {
        type: 'urn:ietf:params:acme:error:rejectedIdentifier',
        detail: '2 identifiers not allowed',
        subproblems: [
          {
            type: 'urn:ietf:params:acme:error:rejectedIdentifier',
            detail: 'FQDN/SAN a.example.net not allowed by profile',
            identifier: { type: 'dns', value: 'a.example.net' },
          },
          {
            type: 'urn:ietf:params:acme:error:unsupportedIdentifier',
            detail: 'Identifier type email not supported',
            identifier: { type: 'email', value: 'x@example.net' },
          },
        ],
      },
      'newOrder',
    );
    expect(sut.status).toBe(400);
    expect(sut.toDocument()).toEqual({
      type: `${PROBLEM_NS}rejectedIdentifier`,
      detail: '2 identifiers not allowed',
      status: 400,
      subproblems: [
        {
          type: `${PROBLEM_NS}rejectedIdentifier`,
          detail: 'FQDN/SAN a.example.net not allowed by profile',
          identifier: { type: 'dns', value: 'a.example.net' },
        },
        { type: `${PROBLEM_NS}unsupportedIdentifier`, detail: 'Identifier type email not supported', identifier: { type: 'email', value: 'x@example.net' } },
      ],
    });
  });

  it.each([
    ['invalidProfile', 'newOrder', 'invalidProfile', 400],
    ['unauthorized', 'newOrder', 'unauthorized', 403],
    ['serverInternal', 'finalize', 'serverInternal', 500],
    ['malformed', 'finalize', 'malformed', 400],
    // RFC 8555 §6.7 badCSR: "The CSR is unacceptable (e.g., due to a short key)"
    ['badPublicKey', 'finalize', 'badCSR', 400],
    ['badPublicKey', 'newOrder', 'badPublicKey', 400],
  ] as const)('maps %s at %s to %s (%d)', (type, stage, expected, status) => {
    const sut = acmeProblemOf({ type: `urn:ietf:params:acme:error:${type}`, detail: 'd' }, stage);
    expect([acmeProblemType(`urn:ietf:params:acme:error:${type}`, stage), sut.type, sut.status, sut.subproblems]).toEqual([
      expected,
      expected,
      status,
      undefined,
    ]);
  });
});
