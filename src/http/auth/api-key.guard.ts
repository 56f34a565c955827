import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/shared/domain-error';
import { CONFIG, LedgerConfig } from '../../config/config';
import { DomainErrorException } from '../errors/domain-error.exception';
import { IS_PUBLIC } from './public.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  appId: string;
}

const digest = (s: string): Buffer => hash('sha256', s, 'buffer') as unknown as Buffer;

/**
 * `Authorization: Api-Key <secret>` → the app it belongs to. Keys are compared as digests in
 * constant time, against every key, so timing tells nothing about which one nearly matched.
 * Routes marked `@Public()` (static pages) pass without a key.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Array<{ appId: string; digest: Buffer }>;

  constructor(
    @Inject(CONFIG) config: LedgerConfig,
    private readonly reflector: Reflector,
  ) {
    this.keys = config.apiKeys.map((k) => ({ appId: k.appId, digest: digest(k.secret) }));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Api-Key\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new DomainErrorException([
        new DomainError('not_authenticated', 'non_field_errors', 'Authentication credentials were not provided.'),
      ]);
    }
    const presented = digest(match[1]);
    let appId: string | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest)) appId = key.appId;
    }
    if (appId === null) {
      throw new DomainErrorException([new DomainError('not_authenticated', 'non_field_errors', 'Invalid API key.')]);
    }
    request.appId = appId;
    return true;
  }
}
