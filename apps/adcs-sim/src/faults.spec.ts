import { FaultPlan, InjectedFaultStatus, faultsFromNames, parseDuration, parseFault } from './faults.js';

describe(parseDuration.name, () => {
  it.each([
    ['2s', 2000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['1m', 60000],
    ['3', 3000],
  ])('%s → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'x', '-1s', '2h', '11m'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe(parseFault.name, () => {
  it('reads the CLI / admin-API forms', () => {
    expect(['hang', 'drop', 'rpc-fault', 'delay=2s'].map(parseFault)).toEqual([
      { kind: 'hang' },
      { kind: 'drop' },
      { kind: 'rpc-fault' },
      { kind: 'delay', ms: 2000 },
    ]);
    expect(parseFault('delay=soon')).toBeUndefined();
    expect(parseFault('explode')).toBeUndefined();
  });
});

describe(faultsFromNames.name, () => {
  it('finds the magic *.sim names, case-insensitively, and ignores ordinary names', () => {
    expect(faultsFromNames(['web.example.com', 'DELAY-2s.sim', 'hang.sim.', 'drop.sim', 'fault.sim', 'other.sim', 'delay-x.sim'])).toEqual([
      { kind: 'delay', ms: 2000 },
      { kind: 'hang' },
      { kind: 'drop' },
      { kind: 'rpc-fault' },
    ]);
  });
});

describe(FaultPlan.name, () => {
  it('answers normally without faults', () => {
    expect(new FaultPlan().decide()).toEqual({ delayMs: 0 });
  });

  it('fails the first N calls with nca_s_server_too_busy, then stops', () => {
    const sut = new FaultPlan([], 2);
    expect(sut.decide().terminal).toEqual({ kind: 'rpc-fault', status: InjectedFaultStatus.SERVER_TOO_BUSY, source: 'fail-first' });
    expect(sut.decide().terminal?.source).toBe('fail-first');
    expect(sut.decide().terminal).toBeUndefined();
    expect(sut.snapshot()).toEqual({ faults: [], failFirst: 0, failedFirst: 2 });
  });

  it('adds delays from every source; the first terminal fault wins (process before request)', () => {
    const sut = new FaultPlan([{ kind: 'delay', ms: 100 }, { kind: 'drop' }]);
    expect(sut.decide([{ kind: 'delay', ms: 50 }, { kind: 'hang' }])).toEqual({ delayMs: 150, terminal: { kind: 'drop', source: 'process' } });
    expect(new FaultPlan().decide([{ kind: 'rpc-fault' }])).toEqual({
      delayMs: 0,
      terminal: { kind: 'rpc-fault', status: InjectedFaultStatus.REMOTE_NO_MEMORY, source: 'request' },
    });
  });

  it('replaces the process faults at run time and restarts fail-first only when given', () => {
    const sut = new FaultPlan([{ kind: 'hang' }], 1);
    sut.set([{ kind: 'delay', ms: 2000 }]);
    expect(sut.snapshot()).toEqual({ faults: ['delay=2000ms'], failFirst: 1, failedFirst: 0 });
    sut.set([], 3);
    expect(sut.snapshot()).toEqual({ faults: [], failFirst: 3, failedFirst: 0 });
  });
});
