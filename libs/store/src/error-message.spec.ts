import { errorMessage } from './error-message.js';

describe(errorMessage.name, () => {
  it.each([
    [new Error('boom'), 'boom'],
    [{ message: 'from another realm' }, 'from another realm'],
    [
      new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')], ''),
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    ],
    ['plain string', 'plain string'],
    [undefined, 'undefined'],
  ])('%p → %s', (thrown, expected) => {
    expect(errorMessage(thrown)).toBe(expected);
  });
});
