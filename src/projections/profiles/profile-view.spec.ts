import { AccessSource } from '../../domain/profile/access';
import { undominatedSources } from './profile-view';

const source = (id: string, level: string, from: number, until: number | null): AccessSource =>
  ({ access_level_id: level, store_transaction_id: id, from, until }) as AccessSource;
const ids = (sources: AccessSource[]) => sources.map((s) => s.store_transaction_id);

describe('undominatedSources', () => {
  it('keeps only the first of many identical lifetime grants', () => {
    const many = Array.from({ length: 1000 }, (_, i) => source(`g${i}`, 'premium', 100 + i, null));
    expect(ids(undominatedSources(many))).toEqual(['g0']);
  });

  it('keeps a source that starts earlier or lasts longer', () => {
    const list = [source('a', 'premium', 0, 100), source('b', 'premium', 50, 200), source('c', 'premium', 60, 150), source('d', 'premium', 70, 200)];
    // c ends before b; d starts after b and ends with it, and b comes first.
    expect(ids(undominatedSources(list))).toEqual(['a', 'b']);
  });

  it('keeps the first of two equal sources, and leaves other levels alone', () => {
    const list = [source('x', 'pro', 0, 100), source('a', 'premium', 10, 100), source('b', 'premium', 10, 100)];
    expect(ids(undominatedSources(list))).toEqual(['x', 'a']);
  });

  it('lets a later source with the same start but a longer end win', () => {
    const list = [source('a', 'premium', 10, 100), source('b', 'premium', 10, null)];
    expect(ids(undominatedSources(list))).toEqual(['b']);
  });
});
