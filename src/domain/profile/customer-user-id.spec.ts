import {
  evolveReservation,
  initialReservation,
  release,
  ReservationEvent,
  reservationStreamId,
  reserve,
} from './customer-user-id';

const fold = (events: ReservationEvent[]) => events.reduce(evolveReservation, initialReservation());
const reserved = (profile_id: string): ReservationEvent => ({ type: 'CustomerUserIdReserved', data: { profile_id } });
const released = (profile_id: string): ReservationEvent => ({ type: 'CustomerUserIdReleased', data: { profile_id } });

describe('customer_user_id reservation', () => {
  it('reserves an unreserved id', () => {
    expect(reserve(initialReservation(), 'p1')).toEqual([reserved('p1')]);
    expect(fold([reserved('p1')])).toEqual({ profile_id: 'p1' });
  });

  it('cannot be reserved twice, not even by the owner', () => {
    expect(reserve(fold([reserved('p1')]), 'p2')).toEqual([]);
    expect(reserve(fold([reserved('p1')]), 'p1')).toEqual([]);
  });

  it('only the owner can release it', () => {
    const state = fold([reserved('p1')]);
    expect(release(state, 'p2')).toEqual([]);
    expect(release(state, 'p1')).toEqual([released('p1')]);
    expect(release(initialReservation(), 'p1')).toEqual([]);
  });

  it('a release by someone else, if recorded, changes nothing', () => {
    expect(fold([reserved('p1'), released('p2')])).toEqual({ profile_id: 'p1' });
  });

  it('after release it can be reserved again', () => {
    const state = fold([reserved('p1'), released('p1')]);
    expect(state).toEqual({ profile_id: null });
    expect(reserve(state, 'p2')).toEqual([reserved('p2')]);
  });

  it('the stream id is per app, hashed, stable and free of the raw id', () => {
    const id = reservationStreamId('app', 'alice@example.com');
    expect(id).toMatch(/^customer-app-[0-9a-f]{40}$/);
    expect(id).not.toContain('alice');
    expect(reservationStreamId('app', 'alice@example.com')).toBe(id);
    expect(reservationStreamId('app', 'bob')).not.toBe(id);
    expect(reservationStreamId('other', 'alice@example.com')).not.toBe(id);
  });
});
