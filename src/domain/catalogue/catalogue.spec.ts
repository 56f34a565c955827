import {
  accessLevelOf,
  CatalogueEvent,
  CatalogueState,
  declareAccessLevel,
  DEFAULT_ACCESS_LEVEL,
  evolveCatalogue,
  hasAccessLevel,
  initialCatalogue,
  mapProduct,
} from './catalogue';
import { DomainError } from '../shared/domain-error';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const fold = (events: CatalogueEvent[]): CatalogueState => events.reduce(evolveCatalogue, initialCatalogue());
const eventsOf = (d: CatalogueEvent[] | DomainError): CatalogueEvent[] => {
  if (d instanceof DomainError) throw new Error(d.message);
  return d;
};
const declared = (id: string): CatalogueEvent => ({ type: 'AccessLevelDeclared', data: { access_level_id: id, declared_at: '2025-01-01T00:00:00.000Z' } });
const mapped = (product: string, level: string): CatalogueEvent => ({
  type: 'ProductMapped',
  data: { store_product_id: product, access_level_id: level, mapped_at: '2025-01-01T00:00:00.000Z' },
});

describe('catalogue', () => {
  it('premium exists by default, nothing else, no products', () => {
    expect(DEFAULT_ACCESS_LEVEL).toBe('premium');
    expect(hasAccessLevel(initialCatalogue(), 'premium')).toBe(true);
    expect(hasAccessLevel(initialCatalogue(), 'gold')).toBe(false);
    expect(initialCatalogue().products).toEqual(new Map());
  });

  it('hasAccessLevel does not see inherited object keys', () => {
    expect(hasAccessLevel(initialCatalogue(), 'toString')).toBe(false);
    expect(hasAccessLevel(initialCatalogue(), '__proto__')).toBe(false);
  });

  it('declare a new access level', () => {
    expect(declareAccessLevel(initialCatalogue(), 'gold', NOW)).toEqual([
      { type: 'AccessLevelDeclared', data: { access_level_id: 'gold', declared_at: NOW.toISOString() } },
    ]);
    expect(hasAccessLevel(fold([declared('gold')]), 'gold')).toBe(true);
  });

  it('declare is idempotent (including premium)', () => {
    expect(declareAccessLevel(fold([declared('gold')]), 'gold', NOW)).toEqual([]);
    expect(declareAccessLevel(initialCatalogue(), 'premium', NOW)).toEqual([]);
  });

  it('map a product to an existing level', () => {
    const events = eventsOf(mapProduct(initialCatalogue(), 'monthly', 'premium', NOW));
    expect(events).toEqual([{ type: 'ProductMapped', data: { store_product_id: 'monthly', access_level_id: 'premium', mapped_at: NOW.toISOString() } }]);
    expect(accessLevelOf(fold(events), 'monthly')).toBe('premium');
    expect(accessLevelOf(fold(events), 'yearly')).toBeNull();
  });

  it('mapping to an unknown level → paid_access_level_does_not_exist', () => {
    const d = mapProduct(initialCatalogue(), 'monthly', 'gold', NOW);
    expect(d).toBeInstanceOf(DomainError);
    expect({ ...(d as DomainError) }).toEqual({
      code: 'paid_access_level_does_not_exist',
      source: 'non_field_errors',
      message: 'Paid access level `gold` does not exist',
    });
  });

  it('remapping to the same level → no events; to another level → remapped', () => {
    const state = fold([declared('gold'), mapped('monthly', 'premium')]);
    expect(mapProduct(state, 'monthly', 'premium', NOW)).toEqual([]);
    const events = eventsOf(mapProduct(state, 'monthly', 'gold', NOW));
    expect(events).toHaveLength(1);
    expect(accessLevelOf(evolveCatalogue(state, events[0]), 'monthly')).toBe('gold');
  });

  it('accessLevelOf does not see inherited object keys', () => {
    expect(accessLevelOf(initialCatalogue(), 'constructor')).toBeNull();
  });
});
