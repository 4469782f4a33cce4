import { Module } from '@nestjs/common';
import { CaController } from './ca.controller.js';
import { FaultsController } from './faults.controller.js';
import { RequestsController } from './requests.controller.js';

/** The admin HTTP API (with PlatformModule's /livez, /readyz and /metrics beside it). */
@Module({ controllers: [RequestsController, FaultsController, CaController] })
export class AdminModule {}
