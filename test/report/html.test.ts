import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { render } from '../../src/report/formats.js';
import { MAX_DRAWN_NODES } from '../../src/report/graph-view.js';
import { buildReport } from '../../src/report/model.js';
import type { Report } from '../../src/report/schema.js';
import { requireComponent } from '../helpers/components.js';
import { type Fixture, startFixture } from './hunt-fixture.js';
import { largeReport } from './large-report.js';

// This file's loopback block: 127.32.0.0/16. The page is opened in real headless Chromium; every request
// that is not the file itself is blocked and recorded, and there must be none.

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Chromium looks up its own services (accounts, component updates) even with the flags above: every
  // name fails inside the browser instead, so no query leaves the machine. The page is a file and needs none.
  '--host-resolver-rules=MAP * ~NOTFOUND',
];
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

let fx: Fixture;
let report: Report;
before(async () => {
  fx = await startFixture('127.32');
  report = buildReport(await fx.hunt());
});
after(() => fx.close());

describe('HTML report in Chromium', () => {
  it('draws the graph, filters by severity and host, and fetches nothing', { timeout: 120_000 }, async (t) => {
    if (!requireComponent(t, 'chromium', 'chromium')) return;
    const dir = mkdtempSync(join(tmpdir(), 'kf-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, render('html', report, { color: false, quiet: false }));
    const url = pathToFileURL(file).href;

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const attempted: string[] = [];
      await page.route('**/*', (route) => {
        if (route.request().url() === url) return route.continue();
        attempted.push(route.request().url());
        return route.abort();
      });
      page.on('request', (r) => {
        if (r.url() !== url && !attempted.includes(r.url())) attempted.push(r.url());
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);

      // The graph: one SVG group per node of the model, with the hosts and services labelled.
      const nodeIds = await page.$$eval('#graph g.node', (gs) => gs.map((g) => g.getAttribute('data-id')));
      assert.deepEqual(nodeIds.sort(), report.graph.nodes.map((n) => n.id).sort());
      const hostLabels = await page.$$eval('#graph g.kind-host text', (ts) => ts.map((t) => t.textContent));
      assert.deepEqual(hostLabels.sort(), [fx.apiserver.host, fx.kubelet.host].sort());
      assert.equal(await page.locator('#graph g.kind-finding').count(), report.findings.length);
      assert.equal(await page.locator('#graph path.edge').count(), report.graph.edges.length);
      const box = await page.locator('#graph').boundingBox();
      assert.ok(box && box.width > 100 && box.height > 50, 'the graph has a size');

      const visible = () =>
        page.$$eval('#findings tbody tr', (rows) =>
          rows.filter((r) => !r.hasAttribute('hidden')).map((r) => r.getAttribute('data-severity')),
        );
      assert.deepEqual(await visible(), ['critical', 'high', 'low']);

      // Unticking "critical" hides exactly the critical row.
      await page.locator('input[data-filter-severity][value="critical"]').click();
      assert.deepEqual(await visible(), ['high', 'low']);
      assert.equal(await page.locator('#graph g.kind-finding.dimmed').count(), 1);
      await page.locator('input[data-filter-severity][value="critical"]').click();

      // The host menu keeps only that host's rows.
      await page.locator('#host-filter').selectOption(fx.kubelet.host);
      const hosts = await page.$$eval('#findings tbody tr', (rows) =>
        rows.filter((r) => !r.hasAttribute('hidden')).map((r) => r.getAttribute('data-host')),
      );
      assert.deepEqual(hosts, [fx.kubelet.host]);
      await page.locator('#host-filter').selectOption('');
      assert.equal((await visible()).length, 3);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report-html.png'), fullPage: true });
      assert.deepEqual(errors, []);
      assert.deepEqual(attempted, [], 'the page tried to reach the network');
    } finally {
      await browser.close();
    }
  });

  it('draws a 3,000-finding report as a bounded graph whose groups list their findings', {
    timeout: 120_000,
  }, async (t) => {
    if (!requireComponent(t, 'chromium', 'chromium')) return;
    // The fixture hunt's report, grown to 3,000 findings on 40 kubelets (large-report.ts).
    const large = largeReport({ findings: 3_000 }, report);
    const dir = mkdtempSync(join(tmpdir(), 'kf-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, render('html', large, { color: false, quiet: false }));
    const url = pathToFileURL(file).href;
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const attempted: string[] = [];
      await page.route('**/*', (route) => {
        if (route.request().url() === url) return route.continue();
        attempted.push(route.request().url());
        return route.abort();
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);

      const boxes = await page.locator('#graph g.node').count();
      assert.ok(boxes > 40 && boxes <= MAX_DRAWN_NODES, `${boxes} boxes drawn`);
      assert.match((await page.locator('#graph-note').textContent()) ?? '', /findings are drawn in groups/);
      const visibleRows = () => page.locator('#findings tbody tr:not([hidden])').count();
      assert.equal(await visibleRows(), 3_000, 'the table lists every finding');

      // A click on a group keeps just its findings in the table; "all findings" brings the rest back.
      const group = page.locator('#graph g.group').first();
      const members = ((await group.getAttribute('data-members')) ?? '').split(' ');
      assert.ok(members.length >= 2);
      await group.click();
      const shown = await page.$$eval('#findings tbody tr:not([hidden])', (rows) =>
        rows.map((r) => r.getAttribute('data-fingerprint')),
      );
      assert.deepEqual(shown.sort(), [...members].sort());
      const reset = page.locator('#group-filter');
      assert.ok(await reset.isVisible());
      await reset.click();
      assert.equal(await visibleRows(), 3_000);
      assert.ok(!(await reset.isVisible()));

      // An attack path resting on a grouped finding: that finding gets its own box, outlined, and the
      // path is listed with its steps.
      const grouped = new Set(await page.$$eval('#graph g.group', (gs) => gs.map((g) => g.getAttribute('data-id'))));
      assert.ok(grouped.size > 0);
      const hidden = members[members.length - 1];
      assert.equal(await page.locator(`#graph g.node[data-id="finding:${hidden}"]`).count(), 0, 'grouped at first');
      const withPath: Report = {
        ...large,
        paths: [
          {
            host: large.findings.find((f) => f.fingerprint === hidden)!.host!,
            port: 6443,
            from: 'anonymous',
            to: 'root on a node',
            steps: [
              {
                action: 'exec-node',
                subject: 'root on a node',
                evidence: 'exec into a privileged pod',
                findings: [hidden],
              },
            ],
          },
        ],
      };
      const pathFile = join(dir, 'report-path.html');
      writeFileSync(pathFile, render('html', withPath, { color: false, quiet: false }));
      const pathUrl = pathToFileURL(pathFile).href;
      await page.unroute('**/*');
      await page.route('**/*', (route) => {
        if (route.request().url() === pathUrl) return route.continue();
        attempted.push(route.request().url());
        return route.abort();
      });
      await page.goto(pathUrl);
      const marked = page.locator(`#graph g.node.on-path[data-id="finding:${hidden}"]`);
      assert.equal(await marked.count(), 1, 'the path finding is drawn, outlined');
      type Styled = { getComputedStyle(element: unknown): { strokeWidth: string } };
      const stroke = await marked
        .locator('rect')
        .evaluate((r) => (globalThis as unknown as Styled).getComputedStyle(r).strokeWidth);
      assert.equal(stroke, '3.2px');
      assert.ok((await page.locator('#graph g.node').count()) <= MAX_DRAWN_NODES);
      assert.match(
        (await page.locator('#attack-paths > li').textContent()) ?? '',
        /^anonymous → root on a node \(1 step, .*\)exec-node → root on a node: exec into a privileged pod$/,
      );

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report-html-large.png') });
      assert.deepEqual(errors, []);
      assert.deepEqual(attempted, [], 'the page tried to reach the network');
    } finally {
      await browser.close();
    }
  });
});
