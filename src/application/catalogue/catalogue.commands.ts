export class DeclareAccessLevelCommand {
  constructor(
    readonly appId: string,
    readonly accessLevelId: string,
  ) {}
}

export class MapProductCommand {
  constructor(
    readonly appId: string,
    readonly storeProductId: string,
    readonly accessLevelId: string,
  ) {}
}

export class GetCatalogueQuery {
  constructor(readonly appId: string) {}
}
