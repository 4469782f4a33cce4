/**
 * An http-01 responder for interop tests: answers GET /.well-known/acme-challenge/<token> on
 * 127.0.0.1:`port` with `keyAuthorization(token)` (200), or 404 where that gives nothing.
 */
import { createServer } from 'node:http';

export interface Http01Responder {
  close(): Promise<void>;
}

export async function startHttp01Responder(port: number, keyAuthorization: (token: string) => string | undefined): Promise<Http01Responder> {
  const server = createServer((req, res) => {
    const value = keyAuthorization((req.url ?? '').split('/').pop() ?? '');
    res.writeHead(value ? 200 : 404).end(value ?? '');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
