'use strict';
// `npm run bench:console`: how fast the support console is on loopback. Starts the built server
// (dist/main.js), seeds one customer over HTTP, then drives Debian's Chromium (/usr/bin/chromium,
// through playwright-core) and measures, over several runs:
//   - page load: a new tab navigating to /console until the sign-in form is usable, and the
//     browser's own Navigation Timing (DOMContentLoaded, load);
//   - customer: pressing Find until the Now panel and the first timeline page are drawn;
//   - time travel: one step of the slider until the Now panel shows the state at that instant.
// Target: the page loads in under a second. The server, the browser and the temp dir are removed
// at the end, also on failure.
//
// Environment (all optional):
//   BENCH_CONSOLE_RUNS=20     measured runs of each
//   BENCH_CONSOLE_EVENTS=300  events in the seeded customer's history
//   BENCH_STRICT=1            exit 1 when the page-load target is missed

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { chromium } = require('playwright-core');
const { Child, Client, freePort, waitForHttp, ledgerEnv, percentile, wallMs } = require('./lib');

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_CONSOLE_RUNS || 20);
const EVENTS = Math.max(3, Number(process.env.BENCH_CONSOLE_EVENTS || 300));
const TARGET_MS = 1000;
const V2 = '/api/v2/server-side-api';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const stats = (values) => ({ p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) });
const row = (name, values) => {
  const s = stats(values);
  return `| ${name} | ${s.p50.toFixed(0)} | ${s.p95.toFixed(0)} | ${s.max.toFixed(0)} |`;
};

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/console/index.html'))) throw new Error('dist/console is missing: run npm run build');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-console-'));
  const cleanups = [() => fs.rmSync(tmp, { recursive: true, force: true })];
  try {
    const secret = `bench_${randomBytes(24).toString('base64url')}`;
    const port = await freePort();
    const ledger = new Child('ledger', ['-r', path.join(__dirname, 'parent-watch.js'), 'dist/main.js'], {
      cwd: ROOT,
      env: ledgerEnv({ dbPath: path.join(tmp, 'ledger.sqlite'), secret, port, tmp }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.unshift(() => ledger.stop());
    const base = `http://127.0.0.1:${port}`;
    const client = new Client(base, { authorization: `Api-Key ${secret}` });
    cleanups.unshift(() => client.agent.destroy());
    await waitForHttp(client, `${V2}/profile/`, ledger);

    const customer = { 'adapty-customer-user-id': 'bench-customer' };
    await client.ok('POST', `${V2}/profile/`, { headers: customer, body: {} });
    for (let i = 1; i < EVENTS - 1; i++) {
      await client.ok('PATCH', `${V2}/profile/`, { headers: customer, body: { custom_attributes: [{ key: 'counter', value: i }] } });
    }
    await client.ok('POST', `${V2}/purchase/profile/grant/access-level/`, { headers: customer, body: { access_level_id: 'premium' } });
    console.log(`seeded one customer with ${EVENTS} events; ${RUNS} runs each`);

    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-chromium-'));
    cleanups.unshift(() => fs.rmSync(profileDir, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profileDir, { executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } });
    cleanups.unshift(() => context.close());

    const load = [];
    const dcl = [];
    const onLoad = [];
    const find = [];
    const travel = [];
    for (let run = 0; run <= RUNS; run++) {
      const page = await context.newPage();
      const t0 = wallMs();
      await page.goto(`${base}/console`);
      await page.waitForSelector('#api-key', { state: 'visible' });
      const t1 = wallMs();
      const nav = await page.evaluate(() => {
        const [n] = performance.getEntriesByType('navigation');
        return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd };
      });
      await page.fill('#api-key', secret);
      await page.press('#api-key', 'Enter');
      await page.waitForSelector('#find-id', { state: 'visible' });
      await page.fill('#find-id', 'bench-customer');
      const t2 = wallMs();
      await page.press('#find-id', 'Enter');
      await page.waitForSelector('#timeline-list li.event');
      const t3 = wallMs();
      await page.focus('#travel-slider');
      await page.keyboard.press('Home');
      await page.waitForSelector('.travel-banner');
      const t4 = wallMs();
      await page.close();
      if (run === 0) continue; // the first run warms the browser up
      load.push(t1 - t0);
      dcl.push(nav.dcl);
      onLoad.push(nav.load);
      find.push(t3 - t2);
      travel.push(t4 - t3);
    }

    console.log('\n| Console on loopback (ms) | p50 | p95 | max |\n|---|---:|---:|---:|');
    console.log(row('page load: navigation → sign-in form usable', load));
    console.log(row('  DOMContentLoaded (Navigation Timing)', dcl));
    console.log(row('  load event (Navigation Timing)', onLoad));
    console.log(row(`find → Now and timeline drawn (${EVENTS} events)`, find));
    console.log(row('time travel: slider step → Now at that instant (incl. 120 ms debounce)', travel));
    const met = stats(load).p95 < TARGET_MS;
    console.log(`\npage load p95 < ${TARGET_MS} ms: ${met ? 'met' : 'NOT MET'}`);
    if (!met && process.env.BENCH_STRICT === '1') process.exitCode = 1;
  } finally {
    for (const cleanup of cleanups) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`cleanup: ${error.message}`);
      }
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
