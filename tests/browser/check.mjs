// Drives Debian's headless Chromium for tests/explorer.rs and prints one JSON object.
//
//   node check.mjs svg FILE.svg
//     → {labels: [text of every <text>], inked: share of non-white pixels, errors: [...]}
//   node check.mjs mermaid FILE.md
//     → {nodes, edges, text}: the ```mermaid block rendered by Mermaid itself (strict
//       security, its default 500-edge and 50,000-character limits)
//   node check.mjs explorer FILE.html SEARCH CLICK [SHIFT_CLICK]
//     → {title, matches, blast, highlighted, depends, why, errors, dialogs, pwned}
//
// Chromium: $BLAST_CHROMIUM or /usr/bin/chromium.
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, file, search, click, shiftClick] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'blast-chromium-'));
// A fresh profile each run (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.BLAST_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const out = { errors: [], dialogs: [] };
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
  page.on('pageerror', (e) => out.errors.push(String(e)));
  page.on('dialog', async (d) => { out.dialogs.push(d.message()); await d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) out.errors.push('network request: ' + r.url()); });
  const t0 = Date.now();
  if (mode !== 'mermaid') await page.goto(pathToFileURL(resolve(file)).href);

  if (mode === 'mermaid') {
    const md = readFileSync(file, 'utf8');
    const m = md.match(/^```mermaid\n([\s\S]*?)^```$/m);
    if (!m) throw new Error('no ```mermaid block');
    await page.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
    const require = createRequire(import.meta.url);
    await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
    Object.assign(out, await page.evaluate(async (text) => {
      mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', maxEdges: 500, maxTextSize: 50000 });
      const { svg } = await mermaid.render('chart', text);
      const box = document.getElementById('out');
      box.innerHTML = svg; // Mermaid's own, sanitised output
      return {
        nodes: box.querySelectorAll('g.node').length,
        edges: box.querySelectorAll('.edgePaths path, path.flowchart-link').length,
        text: Array.from(box.querySelectorAll('g.node')).map((n) => n.textContent.trim()),
        // Nodes a `%%{init}%%` directive hidden in a name could have styled away.
        hidden: Array.from(box.querySelectorAll('g.node')).filter((n) => getComputedStyle(n).display === 'none').length,
      };
    }, m[1]));
  } else if (mode === 'svg') {
    out.labels = await page.$$eval('text', (ts) => ts.map((t) => t.textContent));
    const png = await page.screenshot();
    // Count the non-white pixels of the screenshot in a fresh page's canvas.
    const probe = await browser.newPage();
    out.inked = await probe.evaluate(async (b64) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + b64;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 240 || px[i + 1] < 240 || px[i + 2] < 240) ink++;
      return ink / (px.length / 4);
    }, png.toString('base64'));
  } else if (mode === 'explorer') {
    await page.waitForFunction(() => window.blastExplorer !== undefined, null, { timeout: 60000 });
    out.loadMs = Date.now() - t0;
    out.timings = await page.evaluate(() => window.blastExplorer.timings);
    out.title = await page.title();
    // Search the way a person does: type into the box.
    await page.fill('#search', search);
    out.matches = await page.$$eval('#search-results li', (ls) => ls.map((l) => l.dataset.id));
    // Fit everything in view (right after typing, while the search still centres on its
    // first hit: Fit must win), then click the node on the canvas.
    await page.click('#fit');
    await page.waitForTimeout(300);
    const outOfView = await page.evaluate(() => {
      const x = window.blastExplorer;
      const e = x.cy.extent();
      // A graph too large to fit at the least zoom stays centred instead.
      if (x.cy.zoom() <= x.cy.minZoom() * 1.0001) return [];
      return x.cy.nodes(':visible').filter((n) => {
        const b = n.boundingBox();
        return b.x1 < e.x1 || b.x2 > e.x2 || b.y1 < e.y1 || b.y2 > e.y2;
      }).map((n) => n.id());
    });
    if (outOfView.length) out.errors.push('Fit left nodes out of view: ' + outOfView.join(' '));
    const at = async (id) => page.evaluate((id) => {
      const x = window.blastExplorer;
      const i = x.data.nodes.findIndex((n) => n.id === id);
      if (i < 0) return null;
      const p = x.cy.getElementById('n' + i).renderedPosition();
      const r = document.getElementById('cy').getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, id);
    // Too small to hit when the whole picture is in view: zoom in on it first, as a
    // person would.
    await page.evaluate((id) => {
      const x = window.blastExplorer;
      const i = x.data.nodes.findIndex((n) => n.id === id);
      const n = x.cy.getElementById('n' + i);
      if (i >= 0 && n.renderedWidth() < 40) { x.cy.zoom(1); x.cy.center(n); }
    }, click);
    await page.waitForTimeout(200);
    // On a loaded machine the picture may still be settling when the click lands; aim
    // again until the side panel shows the node.
    for (let attempt = 1; ; attempt++) {
      const pos = await at(click);
      if (!pos) throw new Error('no node ' + click);
      await page.mouse.click(pos.x, pos.y);
      try {
        // A node's heading (an edge's reads "a → b").
        await page.waitForFunction(() => {
          const h = document.querySelector('#details h2');
          return h !== null && !h.textContent.includes(' → ');
        }, null, { timeout: 2000 });
        break;
      } catch (e) {
        if (attempt === 5) throw e;
      }
    }
    await page.waitForTimeout(300);
    out.blast = await page.$$eval('#blast-list li', (ls) => ls.map((l) => l.dataset.id));
    out.depends = await page.$$eval('#depends-list li', (ls) => ls.map((l) => l.dataset.id));
    out.highlighted = await page.evaluate(() => {
      const x = window.blastExplorer;
      return x.cy.nodes('.up, .focus').map((n) => x.data.nodes[+n.id().slice(1)].id);
    });
    out.heading = await page.textContent('#details h2');
    out.panel = await page.textContent('#details');
    out.clusterLabels = await page.evaluate(() => window.blastExplorer.cy.nodes('.cluster').map((n) => n.data('label')));
    out.optionLabels = await page.$$eval('#ids option', (os) => os.map((o) => o.label));
    if (shiftClick) {
      const p2 = await at(shiftClick);
      await page.keyboard.down('Shift');
      await page.mouse.click(p2.x, p2.y);
      await page.keyboard.up('Shift');
      await page.waitForTimeout(300);
      out.why = await page.$$eval('#why-path li', (ls) => ls.map((l) => l.dataset.id));
    }
    out.pwned = await page.evaluate(() => window.__pwned === 1);
    out.injected = await page.evaluate(() => document.querySelectorAll('img, iframe, object, embed, #details script, #panel script').length);
  } else {
    throw new Error('unknown mode ' + mode);
  }
} catch (e) {
  out.errors.push('driver: ' + (e && e.stack || e));
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
