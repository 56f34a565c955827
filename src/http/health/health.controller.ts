import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Inject, ServiceUnavailableException, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { CONFIG, LedgerConfig } from '../../config/config';
import { SHUTDOWN_STATE, ShutdownState } from '../../lifecycle/shutdown-state';
import { ENGINE_PROBE, EngineProbe } from '../../observability/engine-probe';
import { Public } from '../auth/public.decorator';

const STORE_TIMEOUT_MS = 2000;

/** Terminus's own body (`status`, `info`, `error`, `details`) for a failed check, not the API's error envelope. */
@Catch(ServiceUnavailableException)
class HealthCheckFailedFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    void host.switchToHttp().getResponse<FastifyReply>().status(503).send(exception.getResponse());
  }
}

/**
 * Probes for orchestrators and load balancers. No key, and no data: only check names, up or
 * down, and read-model lag figures.
 */
@ApiTags('health')
@Public()
@UseFilters(HealthCheckFailedFilter)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(ENGINE_PROBE) private readonly probe: EngineProbe,
    @Inject(SHUTDOWN_STATE) private readonly shutdown: ShutdownState,
    @Inject(CONFIG) private readonly config: LedgerConfig,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers HTTP' })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: the event store answers, the read models are within the configured lag, the process is not shutting down',
  })
  @HealthCheck()
  ready() {
    return this.health.check([() => this.notShuttingDown(), () => this.store(), () => this.projections()]);
  }

  private notShuttingDown() {
    const check = this.indicators.check('shutdown');
    return this.shutdown.shuttingDown ? check.down({ message: 'shutting down' }) : check.up();
  }

  private async store() {
    const check = this.indicators.check('store');
    try {
      await this.probe.storeAnswers(STORE_TIMEOUT_MS);
      return check.up();
    } catch {
      // The store's own error may name files or hosts: not for an unauthenticated caller.
      return check.down({ message: 'the event store did not answer' });
    }
  }

  private async projections() {
    const check = this.indicators.check('projections');
    const { readyMaxLagEvents, readyMaxLagSeconds } = this.config;
    try {
      const lags = await this.probe.projectionLag();
      const details: Record<string, unknown> = Object.fromEntries(
        lags.map((l) => [l.projection, { lag_events: l.events, lag_seconds: Math.round(l.seconds * 10) / 10 }]),
      );
      // A stopped stream is reported, not failed on: one app's poison event must not take every node out of rotation.
      details.stopped_streams = this.probe.stoppedStreams().length;
      const behind = lags.some((l) => l.events >= readyMaxLagEvents || l.seconds > readyMaxLagSeconds);
      return behind
        ? check.down({ message: `a read model is behind the log by ${readyMaxLagEvents}+ events or ${readyMaxLagSeconds}+ s`, ...details })
        : check.up(details);
    } catch {
      return check.down({ message: 'the read models could not be compared with the log' });
    }
  }
}
