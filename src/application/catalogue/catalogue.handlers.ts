import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { CatalogueEvent, CatalogueState, catalogueStreamId, declareAccessLevel, mapProduct } from '../../domain/catalogue/catalogue';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { CatalogueRepository } from '../shared/repositories';
import { DeclareAccessLevelCommand, GetCatalogueQuery, MapProductCommand } from './catalogue.commands';

async function decideOnCatalogue(
  catalogues: CatalogueRepository,
  context: CommandContext,
  appId: string,
  source: string,
  decide: (state: CatalogueState) => CatalogueEvent[] | DomainError,
): Promise<CatalogueState | DomainError> {
  const result = await catalogues.execute(catalogueStreamId(appId), decide, context.metadata({ appId, source }));
  if (result.ok) return result.state;
  if ('error' in result) return result.error;
  throw new Error(`catalogue stream of ${appId} is deleted`);
}

@CommandHandler(DeclareAccessLevelCommand)
export class DeclareAccessLevelHandler implements ICommandHandler<DeclareAccessLevelCommand, CatalogueState | DomainError> {
  constructor(
    private readonly catalogues: CatalogueRepository,
    private readonly context: CommandContext,
  ) {}

  execute(cmd: DeclareAccessLevelCommand): Promise<CatalogueState | DomainError> {
    return decideOnCatalogue(this.catalogues, this.context, cmd.appId, 'admin.put_access_level', (s) =>
      declareAccessLevel(s, cmd.accessLevelId, this.context.clock.now()),
    );
  }
}

@CommandHandler(MapProductCommand)
export class MapProductHandler implements ICommandHandler<MapProductCommand, CatalogueState | DomainError> {
  constructor(
    private readonly catalogues: CatalogueRepository,
    private readonly context: CommandContext,
  ) {}

  execute(cmd: MapProductCommand): Promise<CatalogueState | DomainError> {
    return decideOnCatalogue(this.catalogues, this.context, cmd.appId, 'admin.put_product', (s) =>
      mapProduct(s, cmd.storeProductId, cmd.accessLevelId, this.context.clock.now()),
    );
  }
}

@QueryHandler(GetCatalogueQuery)
export class GetCatalogueHandler implements IQueryHandler<GetCatalogueQuery, CatalogueState> {
  constructor(private readonly catalogues: CatalogueRepository) {}

  execute(query: GetCatalogueQuery): Promise<CatalogueState> {
    return this.catalogues.catalogue(query.appId);
  }
}
