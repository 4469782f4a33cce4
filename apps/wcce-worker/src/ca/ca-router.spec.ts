import type { PendingRef } from '@enrollgate/contracts';
import type { CaClient, CaOutcome, CaSubmitRequest } from './ca-client.js';
import { CaError } from './ca-client.js';
import { CaRouter } from './ca-router.js';

/** A recording CaClient (test double): remembers which pool got which call. */
class RecordingClient implements CaClient {
  calls: string[] = [];
  constructor(readonly name: string) {}
  async submit(r: CaSubmitRequest): Promise<CaOutcome> {
    this.calls.push(`submit ${r.template}${r.caName ? ` via ${r.caName}` : ''}`);
    return { kind: 'pending', ca: { caRequestId: 1, host: this.name, caName: 'CA' } };
  }
  async retrieve(ref: PendingRef): Promise<CaOutcome> {
    this.calls.push(`retrieve ${ref.caRequestId}`);
    return { kind: 'pending', ca: ref };
  }
  async close(): Promise<void> {}
}

describe(CaRouter.name, () => {
  const a = new RecordingClient('a');
  const b = new RecordingClient('b');
  const sut = new CaRouter(
    [
      { name: 'default', client: a, holds: (r) => r.host === 'a', caNames: ['Corp-Issuing-CA1', 'Corp-Issuing-CA2'] },
      { name: 'issuing-b', client: b, holds: (r) => r.host === 'b', caNames: ['Corp-User-CA'] },
    ],
    { User: 'issuing-b' },
  );
  const req = (template: string, caPool?: string, caName?: string): CaSubmitRequest => ({
    csrDer: Buffer.alloc(1),
    template,
    attributes: {},
    caPool,
    ...(caName !== undefined ? { caName } : {}),
  });

  it.each([
    ['WebServer', undefined, 'default'],
    ['User', undefined, 'issuing-b'],
    ['WebServer', 'issuing-b', 'issuing-b'],
    ['User', 'default', 'default'],
  ])('routes template %s with pool %s to %s', (template, pool, expected) => {
    expect(sut.poolFor(req(template, pool)).name).toBe(expected);
  });

  it('sends retrieve calls to the pool that holds the CA', async () => {
    await sut.retrieve({ caRequestId: 7, host: 'b', caName: 'CA' });
    expect(b.calls).toContain('retrieve 7');
  });

  it('refuses an unknown pool permanently', () => {
    expect(() => sut.poolFor(req('X', 'nope'))).toThrow(CaError);
    try {
      sut.poolFor(req('X', 'nope'));
    } catch (e) {
      expect((e as CaError).retryable).toBe(false);
    }
  });

  it('refuses a template route to a pool that does not exist', () => {
    expect(() => new CaRouter([{ name: 'default', client: a, holds: () => true, caNames: [] }], { User: 'missing' })).toThrow(/unknown CA pool "missing"/);
  });

  describe('a job that names its CA (EAB kid profile ca_name)', () => {
    it.each([
      ['WebServer', undefined, 'Corp-Issuing-CA2', 'default'],
      ['WebServer', undefined, 'corp-issuing-ca1', 'default'],
      ['User', undefined, 'Corp-User-CA', 'issuing-b'],
      ['WebServer', 'issuing-b', 'Corp-User-CA', 'issuing-b'],
    ])('routes template %s, pool %s, CA %s to pool %s', (template, pool, caName, expected) => {
      expect(sut.poolFor(req(template, pool, caName)).name).toBe(expected);
    });

    it('submits to the pool with the CA name passed on', async () => {
      await sut.submit(req('WebServer', undefined, 'Corp-Issuing-CA2'));
      expect(a.calls).toContain('submit WebServer via Corp-Issuing-CA2');
    });

    it.each([
      [
        'a CA of another pool',
        'WebServer',
        undefined,
        'Corp-User-CA',
        /CA pool "default" has no CA named "Corp-User-CA" \(it holds "Corp-Issuing-CA1", "Corp-Issuing-CA2"\)/,
      ],
      ['an unknown CA', 'User', undefined, 'Nope-CA', /CA pool "issuing-b" has no CA named "Nope-CA"/],
    ])('refuses %s permanently (CONFIG), never another CA', (_what, template, pool, caName, message) => {
      let error: unknown;
      try {
        sut.poolFor(req(template, pool, caName));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CaError);
      expect(error).toMatchObject({ code: 'CONFIG', retryable: false, message: expect.stringMatching(message) });
    });
  });
});
