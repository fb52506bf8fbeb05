import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, type ApiClient } from './support/client.ts';

const CHROMIUM = '/usr/bin/chromium';

/** The page's DOM, as the functions passed to waitForFunction (run in the browser) see it. */
declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  querySelectorAll(selector: string): { length: number };
};

describe('the dashboard in headless Chromium', { skip: !existsSync(CHROMIUM) && !process.env.CI ? 'chromium is not installed (.ci/run installs it)' : false }, () => {
  let sys: SystemProcess;
  let api: ApiClient;
  let browser: BrowserContext;
  let cleanup: () => void;
  let profile: string;

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir });
    api = apiClient(sys.url);
    profile = mkdtempSync(join(tmpdir(), 'orderflow-chromium-'));
    // A fresh --user-data-dir: playwright passes the profile directory itself.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      httpCredentials: { username: 'admin', password: 'test-admin-key' },
    });
  });

  after(async () => {
    await browser?.close();
    await sys.stop();
    await cleanup();
    rmSync(profile, { recursive: true, force: true });
  });

  test('without the admin key the page is refused', async () => {
    const res = await fetch(`${sys.url}/dashboard`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    const wrong = await fetch(`${sys.url}/dashboard/data`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
  });

  test('charts render as SVG and update with live traffic', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${sys.url}/dashboard`);
    await page.waitForFunction(() => document.querySelectorAll('svg[data-updated]').length === 7, undefined, { timeout: 15_000 });

    // Traffic: a product, a customer, orders; the panels must draw them.
    const customer = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'dash-tea', { priceCents: 100, stock: 100 });
    for (let i = 0; i < 5; i++) assert.equal((await placeWhenOrderable(api, customer.apiKey, { items: [{ sku: 'dash-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' })).status, 202);
    const before = Number(await page.getAttribute('#throughput', 'data-updated'));
    await page.waitForFunction(
      () => {
        const bar = document.querySelector('#orders rect[data-label="confirmed"]');
        return bar !== null && Number(bar.getAttribute('height')) > 1;
      },
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForFunction(() => document.querySelectorAll('#slowest rect[data-trace]').length > 0, undefined, { timeout: 15_000 });
    await page.waitForFunction(
      () => {
        const d = document.querySelector('#throughput path[data-series="requests"]')?.getAttribute('d') ?? '';
        // Some second in the series had requests: the line leaves the baseline.
        const ys = [...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
        return ys.length > 1 && Math.min(...ys) < Math.max(...ys);
      },
      undefined,
      { timeout: 15_000 },
    );
    const after = Number(await page.getAttribute('#throughput', 'data-updated'));
    assert.ok(after > before, `the charts re-render (${before} -> ${after})`);
    assert.equal(await page.locator('#latency path').count(), 3, 'p50, p95 and p99 lines');
    assert.equal(await page.locator('#breakers rect').count(), 3, 'a tile per known dependency (payment provider, SMTP, broker)');
    assert.ok((await page.locator('#lag rect').count()) >= 8, 'outbox per service and lag per consumer');
    assert.match((await page.textContent('#status')) ?? '', /^updated /);
    const shot = await page.screenshot({ fullPage: true });
    assert.ok(shot.length > 10_000, 'a real picture');
    assert.deepEqual(errors, []);
  });
});
