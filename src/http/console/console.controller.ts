import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../../domain/shared/domain-error';
import { Public } from '../auth/public.decorator';
import { unwrap } from '../errors/domain-error.exception';
import { Asset, loadConsoleAssets } from './console-assets';

/**
 * The page may load nothing but its own files and talk to nothing but this server; it is never
 * framed and sends no Referer, so neither a script injected elsewhere nor a link can carry the key off.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Revalidated on every load (a 304 when unchanged), so a new build is picked up at once.
  'cache-control': 'no-cache',
};

/** The support console: a static page; the API key it asks for only ever travels in request headers. */
@Public()
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  private readonly assets = loadConsoleAssets();

  @Get()
  page(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.send(reply, this.asset('index.html'), ifNoneMatch);
  }

  @Get(':file')
  file(@Param('file') name: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    this.send(reply, this.asset(name), ifNoneMatch);
  }

  private asset(name: string): Asset {
    const asset = this.assets.get(name);
    return asset ?? unwrap<Asset>(new DomainError('not_found', null, 'Not found.'));
  }

  private send(reply: FastifyReply, asset: Asset, ifNoneMatch: string | undefined): void {
    void reply.headers({ ...SECURITY_HEADERS, etag: asset.etag });
    if (ifNoneMatch === asset.etag) void reply.status(304).send();
    else void reply.status(200).type(asset.contentType).send(asset.body);
  }
}
