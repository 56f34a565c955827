import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { DeclareAccessLevelCommand, GetCatalogueQuery, MapProductCommand } from '../../application/catalogue/catalogue.commands';
import { CatalogueState } from '../../domain/catalogue/catalogue';
import { DomainError, validationError } from '../../domain/shared/domain-error';
import { unwrap } from '../errors/domain-error.exception';
import { AppId } from '../profile/profile-ref.decorator';
import { MapProductDto } from './catalogue.dto';

const ID = /^[A-Za-z0-9_.:\-]{1,100}$/;

const accessLevelsOut = (c: CatalogueState) =>
  [...c.access_levels].map(([id, v]) => ({ access_level_id: id, created_at: v.created_at }));
const productsOut = (c: CatalogueState) =>
  [...c.products].map(([id, v]) => ({ store_product_id: id, access_level_id: v.access_level_id, updated_at: v.updated_at }));

function checkId(source: string, value: string): void {
  if (!ID.test(value)) unwrap(validationError(source, `${source} must be 1 to 100 letters, digits or _ . : -`));
}

/** The app's catalogue: access levels and which product unlocks which. Both PUTs are idempotent. */
@Controller('admin/v1')
export class CatalogueController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('access-levels')
  async accessLevels(@AppId() appId: string) {
    return { data: accessLevelsOut(await this.queries.execute<GetCatalogueQuery, CatalogueState>(new GetCatalogueQuery(appId))) };
  }

  @Put('access-levels/:access_level_id')
  async declare(@AppId() appId: string, @Param('access_level_id') id: string) {
    checkId('access_level_id', id);
    const state = unwrap(
      await this.commands.execute<DeclareAccessLevelCommand, CatalogueState | DomainError>(new DeclareAccessLevelCommand(appId, id)),
    );
    return { data: { access_level_id: id, created_at: state.access_levels.get(id)!.created_at } };
  }

  @Get('products')
  async products(@AppId() appId: string) {
    return { data: productsOut(await this.queries.execute<GetCatalogueQuery, CatalogueState>(new GetCatalogueQuery(appId))) };
  }

  @Put('products/:store_product_id')
  async map(@AppId() appId: string, @Param('store_product_id') id: string, @Body() body: MapProductDto) {
    checkId('store_product_id', id);
    const state = unwrap(
      await this.commands.execute<MapProductCommand, CatalogueState | DomainError>(new MapProductCommand(appId, id, body.access_level_id)),
    );
    return { data: { store_product_id: id, ...state.products.get(id)! } };
  }
}
