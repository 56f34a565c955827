import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/shared/domain-error';
import { CONFIG, LedgerConfig } from '../../config/config';
import { DomainErrorException } from '../errors/domain-error.exception';
import { AppKeys } from './app-keys';
import { IS_PUBLIC } from './public.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  appId: string;
}

/** Every route needs an app's key, except those marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: AppKeys;

  constructor(
    @Inject(CONFIG) config: LedgerConfig,
    private readonly reflector: Reflector,
  ) {
    this.keys = new AppKeys(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const check = this.keys.check(request.headers.authorization);
    if (check === 'missing') {
      throw new DomainErrorException([
        new DomainError('not_authenticated', 'non_field_errors', 'Authentication credentials were not provided.'),
      ]);
    }
    if (check === 'invalid') {
      throw new DomainErrorException([new DomainError('not_authenticated', 'non_field_errors', 'Invalid API key.')]);
    }
    request.appId = check.appId;
    return true;
  }
}
