import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hash, timingSafeEqual } from 'node:crypto';
import { CONFIG, LedgerConfig } from '../../config/config';
import { DomainError } from '../../domain/shared/domain-error';
import { Metrics } from '../../observability/metrics';
import { Public } from '../auth/public.decorator';
import { DomainErrorException } from '../errors/domain-error.exception';
import { ApiErrors } from '../openapi/api-errors.decorator';

const digest = (s: string): Buffer => hash('sha256', s, 'buffer') as unknown as Buffer;

/** Prometheus text exposition. Needs no API key; with METRICS_TOKEN set, it needs that bearer token. */
@ApiTags('metrics')
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly token: Buffer | null;

  constructor(
    private readonly metrics: Metrics,
    @Inject(CONFIG) config: LedgerConfig,
  ) {
    this.token = config.metricsToken ? digest(config.metricsToken) : null;
  }

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiBearerAuth('metrics-token')
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Metrics in the Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors(401)
  async scrape(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (this.token && !this.authorized(request.headers.authorization)) {
      throw new DomainErrorException([new DomainError('not_authenticated', 'non_field_errors', 'Invalid or missing metrics bearer token.')]);
    }
    const text = await this.metrics.scrape();
    void reply.header('content-type', this.metrics.contentType).send(text);
  }

  private authorized(header: string | undefined): boolean {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    return match !== null && timingSafeEqual(digest(match[1]), this.token!);
  }
}
