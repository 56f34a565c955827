/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core, which brings no browser of its
 * own. A fresh profile directory per launch, removed on close. Pages record every request and
 * every script error, so tests can check what left the page and that nothing broke.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags that work on these machines (no sandbox, GPU or background traffic). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
}

export interface WatchedPage {
  page: Page;
  requests: SentRequest[];
  /** Script errors and console errors, except the browser's own line for each non-2xx response. */
  problems: string[];
}

export class Chromium {
  private constructor(
    readonly context: BrowserContext,
    private readonly profileDir: string,
  ) {}

  static async launch(): Promise<Chromium> {
    const profileDir = mkdtempSync(join(tmpdir(), 'ledger-chromium-'));
    try {
      // Playwright passes the directory as --user-data-dir.
      const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
        viewport: { width: 1280, height: 800 },
      });
      return new Chromium(context, profileDir);
    } catch (error) {
      rmSync(profileDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A new tab (its own sessionStorage) at `width`×`height`. */
  async open(viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
    const page = await this.context.newPage();
    await page.setViewportSize(viewport);
    const watched: WatchedPage = { page, requests: [], problems: [] };
    page.on('request', (r) => watched.requests.push({ url: r.url(), method: r.method(), headers: r.headers() }));
    page.on('pageerror', (e) => watched.problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of/.test(m.text())) watched.problems.push(`console: ${m.text()}`);
    });
    return watched;
  }

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.profileDir, { recursive: true, force: true });
    }
  }
}
