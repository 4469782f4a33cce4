import { AsyncMutex } from './async-mutex.js';

describe(AsyncMutex.name, () => {
  it('lets one holder in at a time, in arrival order', async () => {
    const sut = new AsyncMutex();
    const events: string[] = [];
    const hold = async (name: string): Promise<void> => {
      await sut.lock();
      events.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`${name} out`);
      sut.unlock();
    };
    await Promise.all([hold('a'), hold('b'), hold('c')]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('refuses an unlock nobody locked', () => {
    expect(() => new AsyncMutex().unlock()).toThrow(/without a matching lock/);
  });
});
