import { AcmeProblem, PROBLEM_NS, PROBLEM_TYPES, statusOf } from './problems.js';

describe(AcmeProblem.name, () => {
  it('has a status for every type (RFC 8555 §6.7)', () => {
    for (const type of PROBLEM_TYPES) expect([400, 403, 409, 429, 500]).toContain(statusOf(type));
  });

  it('renders a problem document with namespaced subproblem types', () => {
    const sut = AcmeProblem.forIdentifiers('2 bad', [
      { type: 'rejectedIdentifier', detail: 'x', identifier: { type: 'dns', value: 'a_b.example' } },
      { type: 'unsupportedIdentifier', detail: 'y', identifier: { type: 'email', value: 'a@b' } },
    ]);
    expect(sut.toDocument()).toEqual({
      type: PROBLEM_NS + 'compound',
      detail: '2 bad',
      status: 400,
      subproblems: [
        { type: PROBLEM_NS + 'rejectedIdentifier', detail: 'x', identifier: { type: 'dns', value: 'a_b.example' } },
        { type: PROBLEM_NS + 'unsupportedIdentifier', detail: 'y', identifier: { type: 'email', value: 'a@b' } },
      ],
    });
  });
});
