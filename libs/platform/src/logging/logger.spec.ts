import { Writable } from 'node:stream';
import { Secret } from '../config/secret.js';
import { createLogger } from './logger.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, stream };
}

describe(createLogger.name, () => {
  it('writes JSON lines with the app name and a string level', () => {
    const { lines, stream } = capture();
    const sut = createLogger({ app: 'acme-api', destination: stream });
    sut.info({ orderId: 'o1' }, 'order created');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ app: 'acme-api', level: 'info', orderId: 'o1', msg: 'order created' });
  });

  it.each([
    [{ password: 'hunter2' }],
    [{ ca: { password: 'hunter2' } }],
    [{ req: { headers: { authorization: 'Basic aHVudGVyMg==hunter2' } } }],
    [{ eab: { hmac: 'hunter2' } }],
    [{ cfg: { user: 'svc', password: new Secret('hunter2') } }],
  ])('redacts secrets in %j', (obj) => {
    const { lines, stream } = capture();
    const sut = createLogger({ app: 't', destination: stream });
    sut.warn(obj, 'config');
    expect(lines.join('')).not.toContain('hunter2');
    expect(lines.join('')).toContain('[redacted]');
  });
});
