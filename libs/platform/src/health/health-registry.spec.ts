import { HealthRegistry } from './health-registry.js';

describe(HealthRegistry.name, () => {
  it('is ready when every check passes', async () => {
    const sut = new HealthRegistry().register('redis', async () => undefined).register('db', async () => undefined);
    const report = await sut.readiness();
    expect(report.ok).toBe(true);
    expect(Object.keys(report.checks).sort()).toEqual(['db', 'redis']);
  });

  it('reports the failing dependency and its error', async () => {
    const sut = new HealthRegistry().register('db', async () => {
      throw new Error('connection refused');
    });
    const report = await sut.readiness();
    expect(report.ok).toBe(false);
    expect(report.checks['db']).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('times out a check that hangs', async () => {
    const sut = new HealthRegistry(50).register('redis', () => new Promise(() => undefined));
    const report = await sut.readiness();
    expect(report.checks['redis']).toMatchObject({ ok: false, error: 'timed out after 50 ms' });
  });

  it('fails readiness while draining', async () => {
    const sut = new HealthRegistry();
    sut.markDraining();
    expect((await sut.readiness()).ok).toBe(false);
  });
});
