import type { PendingRef } from '@enrollgate/contracts';
import type { CaClient, CaOutcome, CaSubmitRequest } from './ca-client.js';
import { CaError } from './ca-client.js';
import { CaRouter } from './ca-router.js';

/** A recording CaClient (test double): remembers which pool got which call. */
class RecordingClient implements CaClient {
  calls: string[] = [];
  constructor(readonly name: string) {}
  async submit(r: CaSubmitRequest): Promise<CaOutcome> {
    this.calls.push(`submit ${r.template}`);
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
      { name: 'default', client: a, holds: (r) => r.host === 'a' },
      { name: 'issuing-b', client: b, holds: (r) => r.host === 'b' },
    ],
    { User: 'issuing-b' },
  );
  const req = (template: string, caPool?: string): CaSubmitRequest => ({ csrDer: Buffer.alloc(1), template, attributes: {}, caPool });

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
    expect(() => new CaRouter([{ name: 'default', client: a, holds: () => true }], { User: 'missing' })).toThrow(/unknown CA pool "missing"/);
  });
});
