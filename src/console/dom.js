// @ts-check
/** Small DOM helpers. Text is only ever set as text: nothing from the API is parsed as HTML. */

/**
 * @param {string} id
 * @returns {any} the element (typed loosely: each caller knows what it asked for)
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

/** @typedef {string | number | Node | null | undefined | false} Child */

/**
 * `h('p', { class: 'x', 'data-id': 1 }, 'text', child)`: attributes by name, `on<event>` handlers.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attributes]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'object' ? child : String(child));
  }
  return element;
}

/**
 * @param {Element} element
 * @param {...(Child | Child[])} children
 */
export function replace(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'object' ? c : String(c))));
}

/**
 * @param {HTMLElement} element
 * @param {string | null} message null hides it
 */
export function message(element, message) {
  element.textContent = message ?? '';
  element.hidden = message === null;
}

/** Tells screen readers what changed. @param {string} text */
export function announce(text) {
  byId('announce').textContent = text;
}

/**
 * `2026-03-03 14:00:00 UTC` (with milliseconds when asked): one zone everywhere, the API's.
 * @param {string | number | null | undefined} instant
 * @param {{ ms?: boolean }} [options]
 */
export function formatInstant(instant, options = {}) {
  if (instant === null || instant === undefined) return '—';
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (Number.isNaN(ms)) return String(instant);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, options.ms ? 23 : 19)} UTC`;
}

/** @param {string | number} instant */
export const toMs = (instant) => (typeof instant === 'number' ? instant : Date.parse(instant));

/**
 * A key–value list.
 * @param {Array<[string, Child | Child[]]>} rows
 * @param {string} [className]
 */
export function facts(rows, className = 'facts') {
  return h('dl', { class: className }, rows.map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))));
}

/**
 * @param {string} text
 * @param {string} [className]
 */
export const empty = (text, className = 'empty') => h('p', { class: className }, text);
