import { WakeableSleep } from './wakeable-sleep.js';

describe(WakeableSleep.name, () => {
  it('sleeps the given time when nothing signals', async () => {
    const t0 = Date.now();
    await new WakeableSleep().sleep(60);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('a signal ends the sleep under way at once', async () => {
    const sut = new WakeableSleep();
    const t0 = Date.now();
    const sleeping = sut.sleep(10_000);
    setTimeout(() => sut.signal(), 10);
    await sleeping;
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a signal between sleeps makes the next one return at once, and only that one', async () => {
    const sut = new WakeableSleep();
    sut.signal();
    sut.signal();
    const t0 = Date.now();
    await sut.sleep(10_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    const t1 = Date.now();
    await sut.sleep(50);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(45);
  });
});
