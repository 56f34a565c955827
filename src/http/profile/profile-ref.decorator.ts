import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ProfileRef } from '../../application/shared/profile-ref';
import { validationError } from '../../domain/shared/domain-error';
import { AuthenticatedRequest } from '../auth/api-key.guard';
import { DomainErrorException } from '../errors/domain-error.exception';
import { isUuid } from '../../domain/shared/uuid';

const MAX_CUSTOMER_USER_ID = 255;

function header(request: AuthenticatedRequest, name: 'adapty-profile-id' | 'adapty-customer-user-id'): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function profileRefOf(request: AuthenticatedRequest): ProfileRef {
  const profileId = header(request, 'adapty-profile-id')?.trim() || undefined;
  const customerUserId = header(request, 'adapty-customer-user-id');
  if (profileId !== undefined && !isUuid(profileId)) {
    throw new DomainErrorException([validationError('adapty-profile-id', 'adapty-profile-id must be a valid UUID.')]);
  }
  if (customerUserId !== undefined && (customerUserId.length === 0 || customerUserId.length > MAX_CUSTOMER_USER_ID)) {
    throw new DomainErrorException([
      validationError('adapty-customer-user-id', `adapty-customer-user-id must be 1 to ${MAX_CUSTOMER_USER_ID} characters.`),
    ]);
  }
  return { appId: request.appId, profileId: profileId?.toLowerCase(), customerUserId };
}

/** The profile a v2 request is about, from its `adapty-profile-id` / `adapty-customer-user-id` headers. */
export const Profile = createParamDecorator((_: unknown, ctx: ExecutionContext): ProfileRef =>
  profileRefOf(ctx.switchToHttp().getRequest<AuthenticatedRequest>()),
);

export const AppId = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<AuthenticatedRequest>().appId,
);
