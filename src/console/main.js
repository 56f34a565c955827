// @ts-check
import { api, ApiError, session, V2 } from './api.js';
import { confirmAction } from './confirm.js';
import { announce, byId, empty, formatInstant, h, message, replace, toMs } from './dom.js';
import { renderProfile } from './now.js';
import { Timeline } from './timeline.js';
import { WebhooksPanel } from './webhooks.js';
import { shapingEvents } from './why.js';

const PROFILE = `${V2}/profile/`;
const HISTORY = `${V2}/profile/history/`;
const GRANT = `${V2}/purchase/profile/grant/access-level/`;
const REVOKE = `${V2}/purchase/profile/revoke/access-level/`;
const DAY_MS = 86_400_000;
const TRAVEL_DEBOUNCE_MS = 120;

/** The customer on screen and the instant their state is shown at. */
const view = {
  /** @type {{ profileId: string } | null} every request after the lookup names the profile by id */
  ref: null,
  /** How the operator knows the customer: their customer user id, else the profile id. */
  who: '',
  /** @type {any} the profile as it is now */
  live: null,
  /** @type {any} the profile at the chosen instant; null when it did not exist yet */
  shown: null,
  /** @type {number | null} the chosen instant; null: now */
  at: null,
  /** @type {string | null} the API's answer when the profile did not exist at the instant */
  missing: null,
};

const timeline = new Timeline();
const webhooks = new WebhooksPanel((error) => {
  if (isRefusedKey(error)) signOut(error);
});

/** @param {unknown} error */
const isRefusedKey = (error) => error instanceof ApiError && error.status === 401;
/** @param {unknown} error */
const textOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * Shows an error where it happened; a refused key signs out instead.
 * @param {unknown} error
 * @param {HTMLElement} element
 */
function fail(error, element) {
  if (isRefusedKey(error)) signOut(error);
  else message(element, textOf(error));
}

// ── Sign-in ────────────────────────────────────────────────────────────────────────────────

/** @param {string | null} error */
function showSignIn(error) {
  byId('console').hidden = true;
  byId('sign-out').hidden = true;
  byId('sign-in').hidden = false;
  message(byId('sign-in-error'), error);
  byId('api-key').focus();
}

/** Keeps the key for this tab if the API accepts it (a read of the app's catalogue). @param {string} key */
async function signIn(key) {
  session.keep(key);
  try {
    const catalogue = await api('/admin/v1/access-levels');
    replace(
      byId('grant-level'),
      catalogue.data.map((/** @type {any} */ level) => h('option', { value: level.access_level_id }, level.access_level_id)),
    );
  } catch (error) {
    session.forget();
    showSignIn(`The ledger refused this key: ${textOf(error)}`);
    return;
  }
  byId('api-key').value = '';
  byId('sign-in').hidden = true;
  byId('console').hidden = false;
  byId('sign-out').hidden = false;
  byId('find-id').focus();
  announce('Signed in.');
}

/** @param {unknown} [error] why, when the API refused the key */
function signOut(error) {
  session.forget();
  void webhooks.show(null);
  Object.assign(view, { ref: null, who: '', live: null, shown: null, at: null, missing: null });
  byId('customer').hidden = true;
  byId('find-id').value = '';
  message(byId('find-error'), null);
  showSignIn(error ? `Signed out: ${textOf(error)}` : null);
}

byId('sign-in-form').addEventListener('submit', (/** @type {Event} */ event) => {
  event.preventDefault();
  const key = byId('api-key').value.trim();
  if (!key) message(byId('sign-in-error'), 'Paste the secret API key first.');
  else void signIn(key);
});
byId('sign-out').addEventListener('click', () => signOut());

// ── Find and load a customer ───────────────────────────────────────────────────────────────

/** Every event of the profile, in commit order (the API pages forward; the console shows newest first). */
async function loadHistory() {
  /** @type {any[]} */
  const events = [];
  let cursor = null;
  do {
    const page = await api(HISTORY, { profile: view.ref ?? undefined, query: { limit: '1000', ...(cursor ? { cursor } : {}) } });
    events.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return events;
}

/** Shows a profile as it is now, with its whole timeline. @param {any} live */
async function load(live) {
  view.ref = { profileId: live.profile_id };
  view.who = live.customer_user_id ?? live.profile_id;
  const events = await loadHistory();
  Object.assign(view, { live, shown: live, at: null, missing: null });
  timeline.load(events);
  syncTravelControls();
  render();
  byId('customer').hidden = false;
  void webhooks.show(live.profile_id);
  announce(`${view.who}: ${live.access_levels.length} access levels, ${events.length} events.`);
}

async function reload() {
  const { data } = await api(PROFILE, { profile: view.ref ?? undefined });
  await load(data);
}

byId('find-form').addEventListener('submit', async (/** @type {Event} */ event) => {
  event.preventDefault();
  const id = byId('find-id').value.trim();
  const byProfileId = byId('find-kind').value === 'profile_id';
  const error = byId('find-error');
  if (!id) return message(error, 'Enter an id to find.');
  message(error, null);
  const button = byId('find-form').querySelector('button');
  button.disabled = true;
  try {
    const { data } = await api(PROFILE, { profile: byProfileId ? { profileId: id } : { customerUserId: id } });
    await load(data);
  } catch (e) {
    byId('customer').hidden = true;
    void webhooks.show(null);
    fail(e instanceof ApiError && e.status === 404 ? new Error(`${e.message}: no customer with ${byProfileId ? 'profile id' : 'customer user id'} “${id}”.`) : e, error);
  } finally {
    button.disabled = false;
  }
});

// ── Now panel and timeline ─────────────────────────────────────────────────────────────────

function render() {
  const at = view.at ?? view.live.timestamp;
  const events = timeline.events;
  const banner = byId('now-banner');
  if (view.at === null) {
    replace(banner, h('p', null, h('span', { class: 'badge live' }, 'live'), ` Read at ${formatInstant(view.live.timestamp)}.`));
  } else {
    const known = events.filter((e) => toMs(e.recorded_at) <= at).length;
    replace(
      banner,
      h(
        'p',
        { class: 'travel-banner' },
        h('span', { class: 'badge travel' }, 'time travel'),
        ` As of ${formatInstant(at, { ms: true })}: ${known} of ${events.length} events recorded by then. `,
        h('button', { type: 'button', class: 'secondary small', onclick: () => void travel(null) }, 'Back to now'),
      ),
    );
  }
  replace(
    byId('now-body'),
    view.shown ? renderProfile(view.shown, at, view.at === null ? revoke : null) : empty(`The profile did not exist yet at this instant (${view.missing}).`),
  );
  timeline.mark(view.shown ? shapingEvents(events, view.shown, at) : new Map(), view.at);
  timeline.render();
}

// ── Time travel ────────────────────────────────────────────────────────────────────────────

const slider = byId('travel-slider');
const instantField = byId('travel-at');
let travels = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let sliderTimer;

/** The slider's positions are "after event i" (0-based, commit order); its last one is now. */
function sliderInstant() {
  const i = Number(slider.value);
  return i >= timeline.events.length ? null : toMs(timeline.events[i].recorded_at);
}

/** @param {string} text */
function labelSlider(text) {
  byId('travel-label').textContent = text;
  slider.setAttribute('aria-valuetext', text);
}

function describeSlider() {
  const i = Number(slider.value);
  const events = timeline.events;
  labelSlider(i >= events.length ? 'Now (live)' : `#${i + 1} of ${events.length}: ${events[i].type}, ${formatInstant(events[i].recorded_at, { ms: true })}`);
}

/** Puts the slider and the date field where the chosen instant is. */
function syncTravelControls() {
  const events = timeline.events;
  slider.max = String(events.length);
  if (view.at === null) {
    slider.value = String(events.length);
    instantField.value = '';
    describeSlider();
    return;
  }
  const at = view.at;
  instantField.value = new Date(at).toISOString().slice(0, 23);
  if (sliderInstant() !== at) {
    let last = 0;
    events.forEach((e, i) => {
      if (toMs(e.recorded_at) <= at) last = i;
    });
    slider.value = String(last);
    labelSlider(`${formatInstant(at, { ms: true })} (chosen instant)`);
  } else describeSlider();
}

/** Shows the state at `at` (null: now). Only the latest request counts. @param {number | null} at */
async function travel(at) {
  const mine = ++travels;
  message(byId('travel-error'), null);
  if (at === null) {
    Object.assign(view, { at: null, shown: view.live, missing: null });
  } else {
    try {
      const { data } = await api(PROFILE, { profile: view.ref ?? undefined, query: { as_of: new Date(at).toISOString() } });
      if (mine !== travels) return;
      Object.assign(view, { at, shown: data, missing: null });
    } catch (error) {
      if (mine !== travels) return;
      if (!(error instanceof ApiError && error.status === 404)) return fail(error, byId('travel-error'));
      Object.assign(view, { at, shown: null, missing: error.message });
    }
    timeline.reveal(at);
  }
  syncTravelControls();
  render();
  announce(at === null ? 'Showing the state now.' : `Showing the state as of ${formatInstant(at, { ms: true })}.`);
}

slider.addEventListener('input', () => {
  describeSlider();
  clearTimeout(sliderTimer);
  sliderTimer = setTimeout(() => void travel(sliderInstant()), TRAVEL_DEBOUNCE_MS);
});
byId('travel-form').addEventListener('submit', (/** @type {Event} */ event) => {
  event.preventDefault();
  const value = instantField.value;
  // The field is in UTC, like every instant the console shows.
  const at = value ? Date.parse(`${value}Z`) : NaN;
  if (Number.isNaN(at)) message(byId('travel-error'), 'Pick a date and time first.');
  else void travel(at);
});
byId('travel-now').addEventListener('click', () => void travel(null));

// ── Actions ────────────────────────────────────────────────────────────────────────────────

/** @param {string} text */
function said(text) {
  const line = byId('actions-message');
  line.classList.remove('error');
  message(line, text);
  announce(text);
}

/** @param {unknown} error */
function actionFailed(error) {
  byId('actions-message').classList.add('error');
  fail(error, byId('actions-message'));
}

byId('grant-form').addEventListener('submit', async (/** @type {Event} */ event) => {
  event.preventDefault();
  const level = byId('grant-level').value;
  const days = Number(byId('grant-days').value);
  if (!level || !Number.isInteger(days) || days < 1 || days > 3650) return actionFailed(new Error('Choose an access level and 1 to 3650 days.'));
  const expiresAt = new Date(Date.now() + days * DAY_MS);
  const ok = await confirmAction(
    `Grant ${level} for ${days} days?`,
    `${view.who} gets ${level} from now until ${formatInstant(expiresAt.getTime())}. It is recorded in the customer's timeline.`,
    `Grant ${level}`,
  );
  if (!ok) return said('Nothing was granted.');
  try {
    await api(GRANT, { method: 'POST', profile: view.ref ?? undefined, body: { access_level_id: level, expires_at: expiresAt.toISOString() } });
    await reload();
    said(`Granted ${level} until ${formatInstant(expiresAt.getTime())}.`);
  } catch (error) {
    actionFailed(error);
  }
});

/** @param {string} level */
async function revoke(level) {
  const ok = await confirmAction(`Revoke ${level}?`, `${view.who} loses ${level} now. It is recorded in the customer's timeline.`, `Revoke ${level}`);
  if (!ok) return said('Nothing was revoked.');
  try {
    await api(REVOKE, { method: 'POST', profile: view.ref ?? undefined, body: { access_level_id: level } });
    await reload();
    said(`Revoked ${level}.`);
  } catch (error) {
    actionFailed(error);
  }
}

// ── Start ──────────────────────────────────────────────────────────────────────────────────

const kept = session.key();
if (kept) void signIn(kept);
else showSignIn(null);
