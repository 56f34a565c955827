import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { CatalogueState, catalogueStreamId, declareAccessLevel, mapProduct } from '../../domain/catalogue/catalogue';
import { DomainError } from '../../domain/shared/domain-error';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { DeclareAccessLevelCommand, GetCatalogueQuery, MapProductCommand } from './catalogue.commands';

async function decideOnCatalogue(
  ledger: Ledger,
  appId: string,
  source: string,
  decide: Parameters<Ledger['catalogues']['execute']>[1],
): Promise<CatalogueState | DomainError> {
  const result = await ledger.catalogues.execute(catalogueStreamId(appId), decide, ledger.metadata({ appId, source }));
  if (result.ok) return result.state;
  if ('error' in result) return result.error;
  throw new Error(`catalogue stream of ${appId} is deleted`);
}

@CommandHandler(DeclareAccessLevelCommand)
export class DeclareAccessLevelHandler implements ICommandHandler<DeclareAccessLevelCommand, CatalogueState | DomainError> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  execute(cmd: DeclareAccessLevelCommand): Promise<CatalogueState | DomainError> {
    return decideOnCatalogue(this.ledger, cmd.appId, 'admin.put_access_level', (s) =>
      declareAccessLevel(s, cmd.accessLevelId, this.ledger.clock.now()),
    );
  }
}

@CommandHandler(MapProductCommand)
export class MapProductHandler implements ICommandHandler<MapProductCommand, CatalogueState | DomainError> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  execute(cmd: MapProductCommand): Promise<CatalogueState | DomainError> {
    return decideOnCatalogue(this.ledger, cmd.appId, 'admin.put_product', (s) =>
      mapProduct(s, cmd.storeProductId, cmd.accessLevelId, this.ledger.clock.now()),
    );
  }
}

@QueryHandler(GetCatalogueQuery)
export class GetCatalogueHandler implements IQueryHandler<GetCatalogueQuery, CatalogueState> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  execute(query: GetCatalogueQuery): Promise<CatalogueState> {
    return this.ledger.catalogue(query.appId);
  }
}
