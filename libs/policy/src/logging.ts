/** The logger calls this library makes: a pino Logger (@enrollgate/platform createLogger) fits. */
export interface PolicyLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
