import {
  deleteEndpoint,
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
      expect(codeOf(updateEndpoint(state, { id, enabled: false }))).toBe('webhook_endpoint_does_not_exist');
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
