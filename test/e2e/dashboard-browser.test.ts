import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dashboardFolder } from '../../admin';
import { startMeridian, type RunningMeridian } from '../../controller';
import { TYPE_URL } from '../../xds';
import { XdsDriver } from '../helpers/xds-driver';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const NODE = { id: 'dashboard-sidecar-1', cluster: 'shop', locality: { region: 'eu-west', zone: 'eu-west-1a' } };
const NACK_MESSAGE = 'cluster rejected by the dashboard test';
/** Maximum wait for the page to show a change, in ms. The page refreshes every 2 s in this test. */
const UI_TIMEOUT_MS = 15_000;

type Messages = Record<string, string>;
const readLocale = (locale: string): Messages => JSON.parse(readFileSync(join(dashboardFolder(), 'locales', `${locale}.json`), 'utf8')) as Messages;

/** Returns the text of the cells of the first row of `table` that contains `text`. */
async function rowCells(page: Page, table: string, text: string): Promise<string[]> {
  const row = page.locator(`${table} tbody tr`).filter({ hasText: text }).first();
  await row.waitFor({ timeout: UI_TIMEOUT_MS });
  return (await row.locator('th, td').allTextContents()).map((cell) => cell.trim());
}

/** Asserts that every element with a data-i18n key shows that key's message. */
async function assertTranslated(page: Page, messages: Messages): Promise<void> {
  const translated = await page.$$eval('[data-i18n]', (elements) => elements.map((element) => [element.getAttribute('data-i18n'), element.textContent ?? '']));
  assert.ok(translated.length > 50, `only ${translated.length} translated elements`);
  for (const [key, text] of translated) assert.equal(text, messages[key!], `text of ${key}`);
}

test('dashboard in headless Chromium', { timeout: 120_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing; install Debian's chromium package (apt-get install -y chromium) to run the dashboard browser test`);
    return;
  }
  const en = readLocale('en');
  const zh = readLocale('zh-CN');

  const folder = await mkdtemp(join(tmpdir(), 'meridian-dashboard-'));
  let meridian: RunningMeridian | undefined;
  let driver: XdsDriver | undefined;
  let browser: Browser | undefined;
  try {
    await cp(EXAMPLES, folder, { recursive: true });
    const logger = pino({ level: 'silent' });
    meridian = await startMeridian({ configPaths: [folder], xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger, debounceMs: 20 });
    const adminUrl = `http://127.0.0.1:${meridian.adminPort}`;

    // One proxy that rejects the clusters it is sent, so the page has a NACK to show.
    driver = new XdsDriver('sotw', `127.0.0.1:${meridian.xdsPort}`, NODE);
    driver.subscribe(TYPE_URL.cluster);
    driver.nack(await driver.next(5000), NACK_MESSAGE);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(`${adminUrl}/`);
    assert.equal(new URL(page.url()).pathname, '/dashboard', '/ redirects to the dashboard');
    await page.selectOption('#interval', '2');

    await t.test('page is in English', async () => {
      await page.locator('#last-read').filter({ hasText: en['controls.lastRead']!.split('{')[0]! }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await assertTranslated(page, en);
    });

    await t.test('proxies table lists the proxy', async () => {
      const cells = await rowCells(page, '#proxies-table', NODE.id);
      assert.deepEqual(
        [cells[0], cells[1], cells[2], cells[4], cells[7]],
        [NODE.id, 'envoy (ads)', 'eu-west/eu-west-1a', 'Cluster', en['proxies.stateNacked']! + NACK_MESSAGE],
      );
      assert.equal(await page.locator('#proxies-table tbody.out-of-sync').count(), 1, 'the NACKed proxy is marked out of sync');
    });

    await t.test('NACK table traces the policy', async () => {
      const cells = await rowCells(page, '#nacks-table', NACK_MESSAGE);
      assert.equal(cells[1], NODE.id);
      assert.equal(cells[2], 'Cluster');
      assert.match(cells[5]!, new RegExp(`${join(folder, 'policies.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+`));
    });

    await t.test('endpoint row of the example', async () => {
      const view = (await (await fetch(`${adminUrl}/debug/endpoints?service=checkout.shop`)).json()) as { services: { endpoints: { port: number; health: string }[] }[] };
      const health = view.services[0]!.endpoints.find((endpoint) => endpoint.port === 50053)!.health;
      const cells = await rowCells(page, '#endpoints-table', '127.0.0.1:50053');
      assert.deepEqual(cells, ['checkout.shop', '127.0.0.1:50053', 'eu-west/eu-west-1a', 'eu-west-k8s', '2', 'version=v1', en[`endpoints.${health}`]]);
    });

    await t.test('revision in force is marked', async () => {
      const cells = await rowCells(page, '#revisions-table', 'file:');
      assert.equal(cells[0], '1');
      assert.equal(cells[5], en['revisions.inForceYes']);
    });

    await t.test('zh-CN survives a reload', async () => {
      await page.selectOption('#language', 'zh-CN');
      await page.locator('#proxies-heading').filter({ hasText: zh['proxies.heading']! }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.equal(await page.evaluate('window.localStorage.getItem("meridian.dashboard.locale")'), 'zh-CN');

      await page.reload();
      await page.locator('#endpoints-heading').filter({ hasText: zh['endpoints.heading']! }).waitFor();
      await assertTranslated(page, zh);
      assert.equal(await page.inputValue('#language'), 'zh-CN');
      const cells = await rowCells(page, '#proxies-table', NODE.id);
      assert.equal(cells[7], zh['proxies.stateNacked']! + NACK_MESSAGE);
    });

    await t.test('?lang=en wins over the stored choice', async () => {
      const english = await context.newPage();
      try {
        await english.goto(`${adminUrl}/dashboard?lang=en`);
        await english.locator('#proxies-heading').filter({ hasText: en['proxies.heading']! }).waitFor({ timeout: UI_TIMEOUT_MS });
        assert.equal(await english.inputValue('#language'), 'en');
      } finally {
        await english.close();
      }
    });

    await t.test('bad config edit shows the file', async () => {
      const policies = join(folder, 'policies.yaml');
      const text = await readFile(policies, 'utf8');
      assert.ok(text.includes('service: checkout.shop'), 'the example policy names checkout.shop');
      await writeFile(policies, text.replace('service: checkout.shop', 'service: checkout.shp'));

      const panel = page.locator('#config-errors[data-state="error"]');
      await panel.waitFor();
      assert.match((await panel.getAttribute('class')) ?? '', /\balert\b/);
      const errors = await page.locator('#config-errors-list li').allTextContents();
      assert.ok(errors.length > 0, 'the panel lists the errors');
      assert.ok(errors.some((error) => error.startsWith(`${policies}:`)), `an error names ${policies}: ${errors.join(' | ')}`);
      assert.ok(errors.some((error) => error.includes('checkout.shp')), 'the error names the bad reference');
    });

    await t.test('stopped server shows a message', async () => {
      await meridian!.close();
      meridian = undefined;
      const banner = page.locator('#unreachable');
      await banner.waitFor({ state: 'visible' });
      assert.ok((await banner.textContent())!.startsWith(zh['errors.unreachable']!.split('{')[0]!), 'the message is in the chosen locale');
      assert.match((await banner.textContent())!, new RegExp(`127\\.0\\.0\\.1:\\d+`), 'the message names the server');
    });
  } finally {
    await browser?.close();
    driver?.close();
    await meridian?.close();
    await rm(folder, { recursive: true, force: true });
  }
});
