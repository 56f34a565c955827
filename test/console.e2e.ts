/**
 * The support console in a real browser (Debian's Chromium through playwright-core) against the
 * built server (`node dist/main.js`, what `npm start` runs) with request logging on, a customer
 * seeded through the API, and a loopback webhook receiver.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Chromium, WatchedPage } from './support/browser';
import { cleanupAll, http, LedgerProcess, SECRET, sleep, startLedger, tempDir } from './support/process-ledger';
import { WebhookReceiver } from './support/webhook-receiver';

const V2 = '/api/v2/server-side-api';
const DAY = 86_400_000;
const OTHER_APP_KEY = 'secret_process_app2';
/** The seeded customer: a lapsed subscription, many attribute updates, then a 7-day promo grant. */
const CUSTOMER = 'support-42';
/** A customer the grant and revoke test acts on. */
const ACTED_ON = 'support-43';
const ATTRIBUTE_UPDATES = 22;

/** Screenshots go under the test's temporary folder, removed at the end, unless CONSOLE_SCREENSHOTS names a folder to keep them in. */
const KEEP_SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;

let root: string;
let screens: string;
let ledger: LedgerProcess;
let receiver: WebhookReceiver;
let browser: Chromium;
let customerProfileId: string;
const pages: WatchedPage[] = [];

const iso = (ms: number) => new Date(ms).toISOString();

async function ok(r: Promise<{ status: number; body: any }>, status = 200) {
  const reply = await r;
  if (reply.status !== status) throw new Error(`expected ${status}, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

async function historyOf(customerUserId: string): Promise<any[]> {
  return (await ok(http(ledger.url, { path: `${V2}/profile/history/?limit=1000`, customerUserId }))).data;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function seed(): Promise<void> {
  await ok(http(ledger.url, { method: 'PUT', path: '/admin/v1/products/monthly_pro', body: { access_level_id: 'premium' } }));
  await ok(http(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: await receiver.start() } }), 201);
  // Every delivery of the seed fails (503, one attempt): the webhooks panel has something to redeliver.
  receiver.mode = 'down';
  const now = Date.now();
  const profile = await ok(http(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: CUSTOMER, body: { custom_attributes: [{ key: 'plan_hint', value: 'annual' }] } }));
  customerProfileId = profile.data.profile_id;
  await ok(
    http(ledger.url, {
      method: 'POST',
      path: `${V2}/purchase/set/transaction/`,
      customerUserId: CUSTOMER,
      body: {
        purchase_type: 'subscription',
        store: 'stripe',
        store_product_id: 'monthly_pro',
        store_transaction_id: 'in_1001',
        store_original_transaction_id: 'sub_1',
        price: { country: 'US', currency: 'USD', value: 9.99 },
        purchased_at: iso(now - 40 * DAY),
        originally_purchased_at: iso(now - 40 * DAY),
        expires_at: iso(now - 10 * DAY),
        renew_status: false,
      },
    }),
  );
  // The scheduler records the lapse; wait for it so the grant is the profile's last event.
  await until('the expiry', async () => (await historyOf(CUSTOMER)).some((e) => e.type === 'SourceExpired'));
  for (let i = 1; i <= ATTRIBUTE_UPDATES; i++) {
    await ok(http(ledger.url, { method: 'PATCH', path: `${V2}/profile/`, customerUserId: CUSTOMER, body: { custom_attributes: [{ key: 'words_learned', value: i * 10 }] } }));
  }
  await ok(
    http(ledger.url, {
      method: 'POST',
      path: `${V2}/purchase/profile/grant/access-level/`,
      customerUserId: CUSTOMER,
      body: { access_level_id: 'premium', expires_at: iso(now + 7 * DAY) },
    }),
  );
  await until('every seeded delivery to fail', async () => {
    const page = await ok(http(ledger.url, { path: `/admin/v1/webhook-deliveries?profile_id=${customerProfileId}` }));
    return page.data.length > 0 && page.data.every((d: any) => d.status === 'failed');
  });
  receiver.mode = 'ok';
  await ok(http(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: ACTED_ON, body: {} }));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ledger-console-'));
  screens = KEEP_SCREENSHOTS ?? join(root, 'screenshots');
  mkdirSync(screens, { recursive: true });
  receiver = new WebhookReceiver();
  // Both settle before anything is thrown: a browser that fails to launch must not leave the server
  // starting after afterAll has cleaned up (it would outlive the run).
  const [started, launched] = await Promise.allSettled([
    startLedger({
      dir: tempDir('ledger-console-store-'),
      env: {
        API_KEYS: `app1:${SECRET},app2:${OTHER_APP_KEY}`,
        LOG_REQUESTS: '1',
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_RETRY_SCHEDULE: '0',
        WEBHOOK_POLL_MS: '50',
        EXPIRY_POLL_MS: '50',
      },
    }),
    Chromium.launch(),
  ]);
  if (launched.status === 'fulfilled') browser = launched.value;
  if (started.status === 'fulfilled') ledger = started.value;
  for (const r of [started, launched]) if (r.status === 'rejected') throw r.reason;
  await seed();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
  await cleanupAll();
  rmSync(root, { recursive: true, force: true });
});

/** A new tab at the console; its requests and errors are checked after each test. */
async function open(viewport?: { width: number; height: number }): Promise<Page> {
  const watched = await browser.open(viewport);
  pages.push(watched);
  await watched.page.goto(`${ledger.url}/console`);
  return watched.page;
}

async function signIn(page: Page, key = SECRET): Promise<void> {
  await page.fill('#api-key', key);
  await page.press('#api-key', 'Enter');
}

async function openCustomer(customerUserId = CUSTOMER, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await open(viewport);
  await signIn(page);
  await page.waitForSelector('#find-id', { state: 'visible' });
  await page.fill('#find-id', customerUserId);
  await page.press('#find-id', 'Enter');
  await page.waitForSelector('#customer', { state: 'visible' });
  return page;
}

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(screens, `${name}.png`), fullPage });
const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
const accessLevels = (page: Page) => page.locator('#now-body [data-access-level]').evaluateAll((els) => els.map((e) => e.getAttribute('data-access-level')));
const eventTypes = (page: Page) => page.locator('#timeline-list li.event').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));

afterEach(async () => {
  for (const { page, requests, problems } of pages.splice(0)) {
    await page.close();
    expect(problems).toEqual([]);
    for (const r of requests) {
      expect(r.url).not.toContain(SECRET);
      expect(r.url).not.toContain(encodeURIComponent(SECRET));
      expect(r.url).not.toContain(OTHER_APP_KEY);
    }
    // Every call to the API carries the key in its Authorization header, and only there.
    for (const r of requests.filter((q) => /\/(api|admin)\//.test(q.url))) expect(r.headers.authorization).toMatch(/^Api-Key /);
  }
});

describe('support console in Chromium', () => {
  it('signs in: a wrong key shows the API error, the right one opens the console and stays for the tab only', async () => {
    const page = await open();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('api-key');
    await signIn(page, 'secret_wrong');
    await page.waitForSelector('#sign-in-error:not([hidden])');
    expect(await page.textContent('#sign-in-error')).toBe('The ledger refused this key: Invalid API key.');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await shot(page, '1-sign-in-refused');

    await signIn(page);
    await page.waitForSelector('#find-id', { state: 'visible' });
    expect(await page.isHidden('#sign-in')).toBe(true);
    expect(await page.inputValue('#api-key')).toBe('');
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([1, 0, '']);
    // A reload keeps the tab signed in; a new tab does not share the key.
    await page.reload();
    await page.waitForSelector('#find-id', { state: 'visible' });
    const other = await open();
    await other.waitForSelector('#api-key', { state: 'visible' });
    await page.click('#sign-out');
    await page.waitForSelector('#api-key', { state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('finds a customer by customer user id or profile id and reads the access level; an unknown id shows the API error', async () => {
    const page = await open();
    await signIn(page);
    await page.fill('#find-id', 'nobody-here');
    await page.click('#find-form button');
    await page.waitForSelector('#find-error:not([hidden])');
    expect(await page.textContent('#find-error')).toBe('Profile not found: no customer with customer user id “nobody-here”.');
    expect(await page.isHidden('#customer')).toBe(true);
    await shot(page, '2-find-unknown');

    await page.selectOption('#find-kind', 'profile_id');
    await page.fill('#find-id', customerProfileId);
    await page.press('#find-id', 'Enter');
    await page.waitForSelector('#customer', { state: 'visible' });
    const premium = page.locator('#now-body [data-access-level="premium"]');
    await expect(premium.textContent()).resolves.toMatch(/premiumactive/);
    const expiresAt = iso(Date.parse((await historyOf(CUSTOMER)).at(-1).data.expires_at));
    const facts = await premium.locator('dd').allTextContents();
    expect(facts.slice(0, 3)).toEqual([`${expiresAt.slice(0, 10)} ${expiresAt.slice(11, 19)} UTC`, 'no (a grant)', 'grant']);
    expect(await page.textContent('#now-body')).toContain(CUSTOMER);
    expect(await page.textContent('#now-body')).toContain('monthly_pro');
    expect(await texts(page, '#now-body .attributes dt')).toEqual(['plan_hint', 'words_learned']);
    expect(await texts(page, '#now-body .attributes dd')).toEqual(['annual', String(ATTRIBUTE_UPDATES * 10)]);
  });

  it('pages the timeline newest first, each event with its instant, source and data, and filters it by type', async () => {
    const page = await openCustomer();
    const history = await historyOf(CUSTOMER);
    expect(history).toHaveLength(ATTRIBUTE_UPDATES + 4);
    const newestFirst = [...history].reverse();
    expect(await eventTypes(page)).toEqual(newestFirst.slice(0, 20).map((e) => e.type));
    expect(await page.textContent('#timeline-count')).toBe(`Events 1–20 of ${history.length}, newest first.`);
    const grant = page.locator('#timeline-list li.event').first();
    expect(await grant.locator('.source').textContent()).toBe('API · app1');
    expect(await grant.locator('time').getAttribute('datetime')).toBe(newestFirst[0].recorded_at);
    expect(await grant.locator('.why').textContent()).toBe('Shapes this state: gives premium');
    await shot(page, '3-timeline');
    await grant.locator('summary').click();
    expect(JSON.parse((await grant.locator('pre').textContent()) ?? '')).toEqual(newestFirst[0].data);

    await page.click('#timeline-older');
    expect(await eventTypes(page)).toEqual(newestFirst.slice(20).map((e) => e.type));
    expect(await page.isDisabled('#timeline-older')).toBe(true);
    const expiry = page.locator('#timeline-list li[data-type="SourceExpired"]');
    expect(await expiry.locator('.source').textContent()).toBe('scheduler · app1');
    await page.click('#timeline-newer');
    expect((await eventTypes(page))[0]).toBe('AccessGranted');

    await page.selectOption('#timeline-filter', 'TransactionRecorded');
    expect(await eventTypes(page)).toEqual(['TransactionRecorded']);
    expect(await page.textContent('#timeline-list')).toContain('subscription monthly_pro on stripe (in_1001)');
    await page.selectOption('#timeline-filter', '');
    expect(await eventTypes(page)).toHaveLength(20);
  });

  it('travels in time: the slider moved before the grant shows the access level gone and highlights why', async () => {
    const page = await openCustomer();
    const history = await historyOf(CUSTOMER);
    const grant = history.at(-1);
    expect(grant.type).toBe('AccessGranted');
    expect(await accessLevels(page)).toEqual(['premium']);

    // By keyboard: one step back is the state right after the grant, two steps back is before it.
    await page.focus('#travel-slider');
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('.travel-banner');
    expect(await accessLevels(page)).toEqual(['premium']);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelectorAll('#now-body [data-access-level]').length === 0);
    const before = history.at(-2);
    expect(await page.textContent('.travel-banner')).toContain(`${history.length - 1} of ${history.length} events recorded by then`);
    expect(await page.textContent('#now-body')).toContain('No access level at this instant.');
    const grantItem = page.locator(`#timeline-list li[data-event-id="${grant.event_id}"]`);
    expect(await grantItem.getAttribute('class')).toBe('event future');
    // Why no premium: the subscription's expiry ended it.
    const expiry = history.find((e) => e.type === 'SourceExpired');
    await page.selectOption('#timeline-filter', 'SourceExpired');
    expect(await page.locator(`#timeline-list li[data-event-id="${expiry.event_id}"] .why`).textContent()).toBe('Shapes this state: ended premium');
    await page.selectOption('#timeline-filter', '');
    // The field holds that event's instant to the millisecond (Chromium drops trailing zeros: .740 reads .74).
    expect(Date.parse(`${await page.inputValue('#travel-at')}Z`)).toBe(Date.parse(`${before.recorded_at.slice(0, 23)}Z`));
    await shot(page, '4-time-travel');

    // The date field: one millisecond before the grant.
    await page.click('#travel-now');
    await page.waitForFunction(() => document.querySelectorAll('#now-body [data-access-level]').length === 1);
    await page.fill('#travel-at', iso(Date.parse(grant.recorded_at) - 1).slice(0, 23));
    await page.click('#travel-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('#now-body [data-access-level]').length === 0);
    expect(await page.textContent('#travel-label')).toContain('(chosen instant)');
    // Before the profile existed, the API's answer is shown.
    await page.fill('#travel-at', iso(Date.parse(history[0].recorded_at) - 1).slice(0, 23));
    await page.click('#travel-form button[type="submit"]');
    await page.waitForSelector('text=The profile did not exist yet at this instant (Profile not found).');
    await page.click('.travel-banner button');
    await page.waitForFunction(() => document.querySelectorAll('#now-body [data-access-level]').length === 1);
    expect(await page.isVisible('.travel-banner')).toBe(false);
  });

  it('redelivers a failed webhook from the page and shows its status change', async () => {
    const page = await openCustomer();
    await page.waitForSelector('li.delivery');
    const statuses = await page.locator('li.delivery').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(new Set(statuses)).toEqual(new Set(['failed']));
    const newest = page.locator('li.delivery').first();
    expect(await newest.getAttribute('data-event-type')).toBe('access_level_updated');
    expect(await newest.textContent()).toContain('HTTP 503');
    const id = await newest.getAttribute('data-delivery-id');
    const received = receiver.received.length;
    await newest.locator('button').click();
    await page.waitForSelector(`li.delivery[data-delivery-id="${id}"][data-status="delivered"]`, { timeout: 10_000 });
    expect(await page.locator(`li.delivery[data-delivery-id="${id}"]`).textContent()).toContain('HTTP 200');
    await receiver.waitFor((rs) => rs.length > received);
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBeDefined();
    await shot(page, '5-webhooks', true);
  });

  it('grants an access level for N days and revokes it, each after a confirmation, each in the timeline at once', async () => {
    const page = await openCustomer(ACTED_ON);
    expect(await page.textContent('#now-body')).toContain('No access level at this instant.');
    await page.waitForSelector('#webhooks-body >> text=No webhook delivery for this customer.');
    await page.selectOption('#grant-level', 'premium');
    await page.fill('#grant-days', '3');
    await page.click('#grant-form button[type="submit"]');
    await page.waitForSelector('#confirm[open]');
    expect(await page.textContent('#confirm-title')).toBe('Grant premium for 3 days?');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
    await shot(page, '6-confirm-grant');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#confirm', { state: 'hidden' });
    // The message is written once the dialog's close event has run, which may come after it is hidden.
    await page.waitForFunction(() => document.getElementById('actions-message')?.textContent !== '');
    expect(await page.textContent('#actions-message')).toBe('Nothing was granted.');
    expect((await historyOf(ACTED_ON)).map((e) => e.type)).toEqual(['ProfileCreated']);

    const asked = Date.now();
    await page.click('#grant-form button[type="submit"]');
    await page.click('#confirm-ok');
    await page.waitForSelector('#now-body [data-access-level="premium"]');
    expect((await eventTypes(page))[0]).toBe('AccessGranted');
    const granted = (await historyOf(ACTED_ON)).at(-1);
    expect(granted.type).toBe('AccessGranted');
    const expires = Date.parse(granted.data.expires_at);
    expect(expires).toBeGreaterThanOrEqual(asked + 3 * DAY - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3 * DAY);
    expect(await page.textContent('#actions-message')).toMatch(/^Granted premium until /);
    // The grant's webhook shows for this customer too.
    await page.waitForSelector('li.delivery[data-event-type="access_level_updated"]');

    await page.click('#now-body [data-access-level="premium"] button');
    await page.waitForSelector('#confirm[open]');
    expect(await page.textContent('#confirm-title')).toBe('Revoke premium?');
    await page.click('#confirm-ok');
    await page.waitForFunction(() => document.querySelectorAll('#now-body [data-access-level]').length === 0);
    expect((await eventTypes(page)).slice(0, 2)).toContain('AccessRevoked');
    expect((await historyOf(ACTED_ON)).map((e) => e.type)).toContain('AccessRevoked');
    expect(await page.textContent('#actions-message')).toBe('Revoked premium.');
  });

  for (const [name, viewport] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    it(`is usable at ${viewport.width} px: no sideways scrolling, every control reachable by keyboard, no axe violation`, async () => {
      const page = await openCustomer(CUSTOMER, viewport);
      await page.waitForSelector('li.delivery');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      await shot(page, `7-${name}`);
      await shot(page, `7-${name}-full`, true);

      // Tab through the whole page from the top until focus comes round again.
      await page.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        const w = window as unknown as { focused: string[] };
        w.focused = [];
        document.addEventListener('focusin', (e) => {
          const el = e.target as HTMLElement;
          w.focused.push(el.id || el.getAttribute('aria-label') || el.textContent?.trim() || el.tagName);
        });
      });
      let focused: string[] = [];
      for (let round = 0; round < 15; round++) {
        for (let i = 0; i < 10; i++) await page.keyboard.press('Tab');
        focused = await page.evaluate(() => (window as unknown as { focused: string[] }).focused);
        if (focused.length > 1 && focused.indexOf(focused[0], 1) > 0) break;
      }
      const reached = new Set(focused);
      for (const control of [
        'sign-out', 'find-kind', 'find-id', 'Revoke premium…', 'grant-level', 'grant-days', 'Grant…', 'webhooks-refresh',
        'travel-slider', 'travel-at', 'travel-now', 'timeline-filter', 'Data', 'timeline-older',
      ]) {
        expect([...reached]).toContain(control);
      }
      expect([...reached].some((l) => l.startsWith('Redeliver access_level_updated'))).toBe(true);
      if (name === 'phone') {
        // The panels stack; the section links jump to the timeline.
        expect([...reached]).toContain('Timeline');
        await page.click('nav.jump a[href="#timeline"]');
        await page.waitForFunction(() => Math.abs(document.getElementById('timeline')!.getBoundingClientRect().top) < 2);
      }

      await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
      const violations = await page.evaluate(async () => {
        const result = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
        return result.violations.map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
      });
      expect(violations).toEqual([]);
    });
  }

  it('reports the page load time on loopback; the key never reached a URL or a server log line', async () => {
    const page = await open();
    await page.waitForSelector('#api-key', { state: 'visible' });
    const timing = await page.evaluate(() => {
      const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
    });
    // Reported, not asserted as a speed target (see npm run bench:console).
    process.stdout.write(`console page on loopback: DOMContentLoaded ${timing.domContentLoaded.toFixed(0)} ms, load ${timing.load.toFixed(0)} ms\n`);
    const logs = ledger.stdout + ledger.stderr;
    expect(logs).toMatch(/"url":"\/api\/v2\/server-side-api\/profile\/history\/\?limit=1000/);
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain('secret_wrong');
    expect(existsSync(join(screens, '3-timeline.png'))).toBe(true);
  });
});
