import { Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { FrontendRuntime } from '@enrollgate/enrollment';
import { LOGGER, Metrics, type Logger } from '@enrollgate/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AcmeServer } from './acme/acme-server.js';
import { publicBaseOf, type AcmeConfig } from './config.js';
import { prefixRewriter } from './acme/urls.js';
import { AcmeController, DirectoryController } from './http/acme.controllers.js';
import type { OpenedPolicy } from '@enrollgate/policy';

@Injectable()
class AcmeLifecycle implements OnModuleDestroy {
  constructor(@Inject(AcmeServer) private readonly server: AcmeServer) {}
  async onModuleDestroy(): Promise<void> {
    await this.server.close();
  }
}

/** The ACME server as a Nest module; FrontendRuntime, LOGGER and Metrics come from bootFrontend. */
@Module({})
export class AcmeModule {
  /** `policy`: opened by main at start-up (openAcmePolicy); absent, the server opens it from `config`. */
  static forRoot(config: AcmeConfig, policy?: OpenedPolicy): DynamicModule {
    return {
      module: AcmeModule,
      controllers: [DirectoryController, AcmeController],
      providers: [
        {
          provide: AcmeServer,
          inject: [FrontendRuntime, LOGGER, Metrics],
          useFactory: (runtime: FrontendRuntime, logger: Logger, metrics: Metrics) =>
            new AcmeServer(config, runtime, logger.child({ component: 'acme' }), metrics, policy),
        },
        AcmeLifecycle,
      ],
    };
  }
}

/**
 * Body parsing for ACME (research/npm-audit.md §6): application/jose+json arrives as the raw
 * string (the verifier parses it and answers malformed itself); any other type too, so a wrong
 * Content-Type gets a problem document rather than Fastify's 415.
 */
export function configureAcmeHttp(app: NestFastifyApplication, bodyLimit = 64 * 1024): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addContentTypeParser('application/jose+json', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));
}

/** The request URL rewrite for a public URL with a path prefix (routes served under it too); undefined without one. */
export function acmeRewriteUrl(config: Pick<AcmeConfig, 'ACME_PUBLIC_URL' | 'ACME_LISTEN' | 'ACME_TLS_CERT_FILE'>): ((url: string) => string) | undefined {
  return prefixRewriter(publicBaseOf(config));
}
