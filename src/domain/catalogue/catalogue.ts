import { DomainError } from '../shared/domain-error';

/** Every app has `premium`; more access levels are declared, and products mapped to them. */
export const DEFAULT_ACCESS_LEVEL = 'premium';

export interface AccessLevelDeclared {
  type: 'AccessLevelDeclared';
  data: { access_level_id: string; declared_at: string };
}

export interface ProductMapped {
  type: 'ProductMapped';
  data: { store_product_id: string; access_level_id: string; mapped_at: string };
}

export type CatalogueEvent = AccessLevelDeclared | ProductMapped;

/** Keyed by ids the app chose: Maps, so no id can reach Object.prototype. */
export interface CatalogueState {
  access_levels: ReadonlyMap<string, { created_at: string | null }>;
  products: ReadonlyMap<string, { access_level_id: string; updated_at: string }>;
}

export const initialCatalogue = (): CatalogueState => ({
  access_levels: new Map([[DEFAULT_ACCESS_LEVEL, { created_at: null }]]),
  products: new Map(),
});

export const catalogueStreamId = (appId: string): string => `catalogue-${appId}`;

export function evolveCatalogue(state: CatalogueState, event: CatalogueEvent): CatalogueState {
  switch (event.type) {
    case 'AccessLevelDeclared':
      return {
        ...state,
        access_levels: new Map(state.access_levels).set(event.data.access_level_id, { created_at: event.data.declared_at }),
      };
    case 'ProductMapped':
      return {
        ...state,
        products: new Map(state.products).set(event.data.store_product_id, {
          access_level_id: event.data.access_level_id,
          updated_at: event.data.mapped_at,
        }),
      };
  }
}

export const hasAccessLevel = (c: CatalogueState, id: string): boolean => c.access_levels.has(id);

export const accessLevelOf = (c: CatalogueState, storeProductId: string): string | null =>
  c.products.get(storeProductId)?.access_level_id ?? null;

export const accessLevelMissing = (id: string): DomainError =>
  new DomainError('paid_access_level_does_not_exist', 'non_field_errors', `Paid access level \`${id}\` does not exist`);

export function declareAccessLevel(state: CatalogueState, id: string, now: Date): CatalogueEvent[] {
  return hasAccessLevel(state, id) ? [] : [{ type: 'AccessLevelDeclared', data: { access_level_id: id, declared_at: now.toISOString() } }];
}

export function mapProduct(
  state: CatalogueState,
  storeProductId: string,
  accessLevelId: string,
  now: Date,
): CatalogueEvent[] | DomainError {
  if (!hasAccessLevel(state, accessLevelId)) return accessLevelMissing(accessLevelId);
  if (state.products.get(storeProductId)?.access_level_id === accessLevelId) return [];
  return [
    {
      type: 'ProductMapped',
      data: { store_product_id: storeProductId, access_level_id: accessLevelId, mapped_at: now.toISOString() },
    },
  ];
}
