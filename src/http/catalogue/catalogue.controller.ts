import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { DeclareAccessLevelCommand, GetCatalogueQuery, MapProductCommand } from '../../application/catalogue/catalogue.commands';
import { CatalogueState } from '../../domain/catalogue/catalogue';
import { DomainError, validationError } from '../../domain/shared/domain-error';
import { unwrap } from '../errors/domain-error.exception';
import { AppId } from '../profile/profile-ref.decorator';
import { MapProductDto } from './catalogue.dto';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import { AccessLevelDeclarationResponseDto, AccessLevelListDto, ProductListDto, ProductMappingResponseDto } from './catalogue-response.dto';

const ID = /^[A-Za-z0-9_.:\-]{1,100}$/;

const accessLevelsOut = (c: CatalogueState) =>
  [...c.access_levels].map(([id, v]) => ({ access_level_id: id, created_at: v.created_at }));
const productsOut = (c: CatalogueState) =>
  [...c.products].map(([id, v]) => ({ store_product_id: id, access_level_id: v.access_level_id, updated_at: v.updated_at }));

function checkId(source: string, value: string): void {
  if (!ID.test(value)) unwrap(validationError(source, `${source} must be 1 to 100 letters, digits or _ . : -`));
}

/** The app's catalogue: access levels and which product unlocks which. Both PUTs are idempotent. */
@ApiTags('admin: catalogue')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('admin/v1')
export class CatalogueController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('access-levels')
  @ApiOperation({ summary: "The app's access levels (premium always exists)" })
  @ApiOkResponse({ type: AccessLevelListDto })
  async accessLevels(@AppId() appId: string) {
    return { data: accessLevelsOut(await this.queries.execute<GetCatalogueQuery, CatalogueState>(new GetCatalogueQuery(appId))) };
  }

  @Put('access-levels/:access_level_id')
  @ApiOperation({ summary: 'Declare an access level (idempotent)' })
  @ApiOkResponse({ type: AccessLevelDeclarationResponseDto })
  @ApiErrors(400)
  async declare(@AppId() appId: string, @Param('access_level_id') id: string) {
    checkId('access_level_id', id);
    const state = unwrap(
      await this.commands.execute<DeclareAccessLevelCommand, CatalogueState | DomainError>(new DeclareAccessLevelCommand(appId, id)),
    );
    return { data: { access_level_id: id, created_at: state.access_levels.get(id)!.created_at } };
  }

  @Get('products')
  @ApiOperation({ summary: 'Which product unlocks which access level' })
  @ApiOkResponse({ type: ProductListDto })
  async products(@AppId() appId: string) {
    return { data: productsOut(await this.queries.execute<GetCatalogueQuery, CatalogueState>(new GetCatalogueQuery(appId))) };
  }

  @Put('products/:store_product_id')
  @ApiOperation({ summary: 'Map a product to an access level (idempotent)' })
  @ApiOkResponse({ type: ProductMappingResponseDto })
  @ApiErrors(400, 413, 415)
  async map(@AppId() appId: string, @Param('store_product_id') id: string, @Body() body: MapProductDto) {
    checkId('store_product_id', id);
    const state = unwrap(
      await this.commands.execute<MapProductCommand, CatalogueState | DomainError>(new MapProductCommand(appId, id, body.access_level_id)),
    );
    return { data: { store_product_id: id, ...state.products.get(id)! } };
  }
}
