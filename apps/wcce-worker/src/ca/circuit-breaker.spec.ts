import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';

describe(CircuitBreaker.name, () => {
  let now = 0;
  let changes: BreakerState[];
  const make = () => {
    changes = [];
    return new CircuitBreaker('ca1', { failureThreshold: 3, openMs: 1000, now: () => now }, (_n, s) => changes.push(s));
  };
  beforeEach(() => {
    now = 0;
  });

  it('stays closed below the threshold and resets on success', () => {
    const sut = make();
    sut.failure();
    sut.failure();
    sut.success();
    sut.failure();
    sut.failure();
    expect(sut.state).toBe('closed');
    expect(sut.allows()).toBe(true);
    expect(changes).toEqual([]);
  });

  it('opens after consecutive failures and refuses calls while open', () => {
    const sut = make();
    for (let i = 0; i < 3; i++) sut.failure();
    expect(sut.state).toBe('open');
    expect(sut.allows()).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('lets exactly one probe through when half-open; success closes it', () => {
    const sut = make();
    for (let i = 0; i < 3; i++) sut.failure();
    now = 1000;
    expect(sut.state).toBe('half-open');
    expect(sut.allows()).toBe(true);
    sut.begin();
    expect(sut.allows()).toBe(false);
    sut.success();
    expect(sut.state).toBe('closed');
    expect(changes).toEqual(['open', 'closed']);
  });

  it('re-opens at once when the probe fails', () => {
    const sut = make();
    for (let i = 0; i < 3; i++) sut.failure();
    now = 1500;
    sut.begin();
    sut.failure();
    expect(sut.state).toBe('open');
    now = 2400;
    expect(sut.allows()).toBe(false);
    now = 2500;
    expect(sut.allows()).toBe(true);
    expect(changes).toEqual(['open', 'open']);
  });
});
