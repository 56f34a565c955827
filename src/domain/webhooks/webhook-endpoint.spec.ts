import {
  deleteEndpoint,
  needsVerification,
  EndpointsState,
  disableEndpoint,
  EndpointEvent,
  evolveEndpoints,
  initialEndpoints,
  rotateEndpointSecret,
  updateEndpoint,
  WebhookEndpoint,
} from './webhook-endpoint';

const HOSTILE = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

const created = (id: string): EndpointEvent => ({
  type: 'WebhookEndpointCreated',
  data: { id, url: 'https://example.com/hook', authorization: null, event_types: null, environment: null, secret: 'whsec_x', created_at: '2026-01-01T00:00:00.000Z' },
});

const given = (...events: EndpointEvent[]) => events.reduce(evolveEndpoints, initialEndpoints());
const codeOf = (d: unknown) => (d as { code?: string }).code;

describe('webhook endpoint deciders', () => {
  describe.each(HOSTILE)('given no endpoint named %p', (id) => {
    const state = given(created('real-1'));

    it('update, delete and rotate answer 404 and decide no event', () => {
      expect(codeOf(updateEndpoint(state, id, { enabled: false }))).toBe('webhook_endpoint_does_not_exist');
      expect(codeOf(deleteEndpoint(state, id))).toBe('webhook_endpoint_does_not_exist');
      expect(codeOf(rotateEndpointSecret(state, id, 'whsec_new'))).toBe('webhook_endpoint_does_not_exist');
    });

    it('a 410 for it disables nothing', () => {
      expect(disableEndpoint(state, id, 'gone')).toEqual([]);
    });

    it('events about it already in a log change nothing (they were written before such requests were refused)', () => {
      const after = given(
        created('real-1'),
        { type: 'WebhookEndpointDeleted', data: { id } },
        { type: 'WebhookEndpointSecretRotated', data: { id, secret: 'whsec_evil' } },
        { type: 'WebhookEndpointUpdated', data: { id, url: 'https://evil.example' } },
        { type: 'WebhookEndpointDisabled', data: { id, reason: 'x' } },
      );
      expect([...after.keys()]).toEqual(['real-1']);
      expect(after.get(id)).toBeUndefined();
    });
  });

  it('given an endpoint created with a hostile-looking id, it is an endpoint like any other', () => {
    const state = given(created('constructor'));
    expect(state.get('constructor')?.url).toBe('https://example.com/hook');
    expect(deleteEndpoint(state, 'constructor')).toEqual([{ type: 'WebhookEndpointDeleted', data: { id: 'constructor' } }]);
    expect(given(created('constructor'), { type: 'WebhookEndpointDeleted', data: { id: 'constructor' } }).size).toBe(0);
  });

  it('given an enabled endpoint, a 410 disables it once', () => {
    const state = given(created('e1'));
    const events = disableEndpoint(state, 'e1', 'endpoint answered 410 Gone');
    expect(events).toEqual([{ type: 'WebhookEndpointDisabled', data: { id: 'e1', reason: 'endpoint answered 410 Gone' } }]);
    const disabled = events.reduce(evolveEndpoints, state);
    expect(disabled.get('e1')).toMatchObject<Partial<WebhookEndpoint>>({ enabled: false, disabled_reason: 'endpoint answered 410 Gone' });
    expect(disableEndpoint(disabled, 'e1', 'again')).toEqual([]);
  });

  it('evolve never changes the state it is given', () => {
    const state = given(created('e1'));
    evolveEndpoints(state, { type: 'WebhookEndpointDeleted', data: { id: 'e1' } });
    expect(state.has('e1')).toBe(true);
  });
});

const createdWith = (data: Record<string, unknown>): EndpointEvent =>
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

const fold = (events: EndpointEvent[]): EndpointsState => events.reduce(evolveEndpoints, initialEndpoints());

describe('webhook endpoint: the handshake form', () => {
  it('loads an endpoint created before the choice existed with the default form, {}', () => {
    expect(fold([createdWith({})]).get('ep-1')!.verification).toBe('empty');
  });

  it('keeps the form an endpoint was created with, and a PATCH changes it', () => {
    const state = fold([
      createdWith({ verification: 'adapty_check' }),
      { type: 'WebhookEndpointUpdated', data: { id: 'ep-1', event_types: ['access_level_updated'] } },
    ]);
    expect(state.get('ep-1')!.verification).toBe('adapty_check');
    const changed = evolveEndpoints(state, { type: 'WebhookEndpointUpdated', data: { id: 'ep-1', verification: 'none' } });
    expect(changed.get('ep-1')!.verification).toBe('none');
  });

  describe('a PATCH is verified again when it changes the URL or the form, not otherwise', () => {
    const current = fold([createdWith({ verification: 'empty' })]).get('ep-1')!;
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
