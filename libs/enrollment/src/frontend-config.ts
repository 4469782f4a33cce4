import { urlString } from '@enrollgate/platform';
import { z } from 'zod';

/** Configuration every front-end shares (environment variable names are the keys). */
export const frontendConfigShape = {
  REDIS_URL: urlString(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  DATABASE_URL: z
    .string()
    .default('sqlite:.enrollgate/enrollgate.db')
    .refine((v) => /^(postgres(ql)?:\/\/|sqlite:)/.test(v), { message: 'expected postgres://… or sqlite:PATH' }),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or -')
    .default('enrollgate'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
};
