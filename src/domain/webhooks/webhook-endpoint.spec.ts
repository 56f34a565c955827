import { EndpointEvent, EndpointsState, evolveEndpoints, needsVerification, WebhookEndpoint } from './webhook-endpoint';

const created = (data: Record<string, unknown>): EndpointEvent =>
  ({
    type: 'WebhookEndpointCreated',
    data: {
      id: 'ep-1',
      url: 'https://hooks.example.com/adapty',
      authorization: null,
      event_types: null,
      environment: null,
      secret: 'whsec_c2VjcmV0',
      created_at: '2025-06-01T12:00:00.000Z',
      ...data,
    },
  }) as EndpointEvent;

const fold = (events: EndpointEvent[]): EndpointsState => events.reduce(evolveEndpoints, {});

describe('webhook endpoint: the handshake form', () => {
  it('loads an endpoint created before the choice existed with the default form, {}', () => {
    expect(fold([created({})])['ep-1'].verification).toBe('empty');
  });

  it('keeps the form an endpoint was created with, and a PATCH changes it', () => {
    const state = fold([
      created({ verification: 'adapty_check' }),
      { type: 'WebhookEndpointUpdated', data: { id: 'ep-1', event_types: ['access_level_updated'] } },
    ]);
    expect(state['ep-1'].verification).toBe('adapty_check');
    const changed = evolveEndpoints(state, { type: 'WebhookEndpointUpdated', data: { id: 'ep-1', verification: 'none' } });
    expect(changed['ep-1'].verification).toBe('none');
  });

  describe('a PATCH is verified again when it changes the URL or the form, not otherwise', () => {
    const current = fold([created({ verification: 'empty' })])['ep-1'] as WebhookEndpoint;
    it.each([
      [{ url: 'https://other.example.com/hook' }, true],
      [{ verification: 'adapty_check' as const }, true],
      [{ verification: 'none' as const }, true],
      [{ url: current.url }, false],
      [{ verification: 'empty' as const }, false],
      [{ authorization: 'Bearer new' }, false],
      [{ event_types: ['access_level_updated'] }, false],
      [{ enabled: false }, false],
      [{}, false],
    ])('%j -> %s', (changes, expected) => {
      expect(needsVerification(current, changes)).toBe(expected);
    });
  });
});
