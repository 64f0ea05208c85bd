/**
 * The HTML audit report, in a real browser: headless Chromium renders it from
 * disk, runs its script (filters from the address's #fragment) and dumps the
 * DOM, which the tests read; a screenshot at 1280x800 is saved.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { runCli, tempDir } from '../helpers/run.js';

function chromium(args: string[]): string {
  const profile = tempDir('sk-scan-chromium-');
  const r = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}

/** The cards the page shows after its script ran: article elements without `hidden`. */
function shownCards(dom: string): string[] {
  return [...dom.matchAll(/<article class="card [^"]*"([^>]*)>/g)].filter((m) => !/\shidden(=|\s|$)/.test(m[1] ?? '')).map((m) => /data-severity="(\w+)"/.exec(m[1] ?? '')?.[1] ?? '');
}

describe('--format html', () => {
  it('renders from disk with no network: counts, cards, filters and search work, and hostile text stays text', () => {
    const api = makeRepo();
    api.commit('keys', { 'config.env': `K=${fakeKey('live')}\nT=${fakeKey('test')}\n` });
    api.git('-c', 'user.name=<script>document.title="pwned"</script>', 'commit', '-q', '--allow-empty', '-m', 'noise');
    const web = makeRepo();
    web.commit('<img src=x onerror=alert(1)>', { '<img src=x onerror=alert(1)>.env': `K=${fakeKey('live')}\n` });
    const clean = makeRepo();
    clean.commit('docs', { 'README.md': 'nothing secret\n' });
    const out = join(tempDir(), 'audit.html');
    // Three repositories and one target that is none: the three are reported, and the failure.
    const r = runCli(['git', api.dir, web.dir, clean.dir, tempDir('sk-scan-not-a-repo-'), '--format', 'html', '--output', out]);
    expect(r.code).toBe(2);
    const html = readFileSync(out, 'utf8');
    // Self-contained: nothing fetched from anywhere.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;.env');

    const all = chromium(['--dump-dom', `file://${out}`]);
    expect(all).toContain('<title>sk-scan audit: 3 keys</title>');
    expect(shownCards(all)).toEqual(['critical', 'critical', 'medium']);
    expect(all).toMatch(/<span class="n" data-count="critical">2<\/span>/);
    expect(all).toMatch(/<span class="n" id="repositories">4<\/span>/);
    expect(all).toMatch(/<section id="errors"><h2>Not scanned<\/h2><ul><li><code>[^<]*not-a-repo-[^<]*<\/code>: not a git repository/);
    expect(all).toContain('3 of 3 keys shown');
    expect(all).not.toMatch(/<img src="x"/);

    expect(shownCards(chromium(['--dump-dom', `file://${out}#severity=medium`]))).toEqual(['medium']);
    const byRepo = chromium(['--dump-dom', `file://${out}#target=${encodeURIComponent(web.dir)}`]);
    expect(shownCards(byRepo)).toEqual(['critical']);
    expect(byRepo).toContain('1 of 3 keys shown');
    expect(shownCards(chromium(['--dump-dom', `file://${out}#q=onerror`]))).toEqual(['critical']);
    const none = chromium(['--dump-dom', `file://${out}#q=nothing-like-this`]);
    expect(shownCards(none)).toEqual([]);
    expect(none).toMatch(/<p id="none">No key matches these filters\.<\/p>/);

    const png = join(tempDir(), 'audit.png');
    chromium(['--screenshot=' + png, '--window-size=1280,800', `file://${out}`]);
    expect(existsSync(png) && statSync(png).size).toBeGreaterThan(10_000);
  }, 120_000);

  it('keeps a place and an author whole on a 900-pixel page, however many refs the commit is on', () => {
    const repo = makeRepo();
    repo.commit('keys', { 'config/prod.env': `K=${fakeKey('live')}\n` });
    for (let i = 0; i < 12; i++) repo.git('branch', `feature/long-branch-name-${1000 + i}`);
    const dir = tempDir();
    const out = join(dir, 'audit.html');
    runCli(['git', repo.dir, '--format', 'html', '--output', out]);
    // A page beside it looks at the report's first row (in a frame 900 pixels wide) and writes down, for each cell,
    // how many lines its text takes (the distinct tops of its line boxes: no font's metrics enter into it) and whether
    // its content is wider than the cell.
    const probe = join(dir, 'probe.html');
    writeFileSync(
      probe,
      `<iframe id="f" src="audit.html" style="width:900px;height:900px"></iframe><pre id="m"></pre><script>
document.getElementById('f').onload = () => {
  const d = document.getElementById('f').contentDocument;
  const cells = [...d.querySelectorAll('tbody tr')[0].children];
  const lines = (cell) => { const r = d.createRange(); r.selectNodeContents(cell); return new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top))).size; };
  document.getElementById('m').textContent = JSON.stringify({ place: lines(cells[1]), author: lines(cells[3]), date: lines(cells[4]), refs: lines(cells[5]), wider: cells.filter((c) => c.scrollWidth > c.clientWidth).length, overflow: d.documentElement.scrollWidth > d.documentElement.clientWidth });
};
</script>`,
    );
    const dom = chromium(['--allow-file-access-from-files', '--virtual-time-budget=5000', '--dump-dom', `file://${probe}`]);
    const m = JSON.parse(/<pre id="m">([^<]*)<\/pre>/.exec(dom)?.[1]?.replace(/&quot;/g, '"') ?? '{}') as Record<string, number | boolean>;
    // The place and the date are one line each; the author (a name and an email) takes at most two; the twelve refs
    // wrap over several; no cell's content is wider than its column, and nothing runs off the page.
    expect(m['date']).toBe(1);
    expect(m['place']).toBe(1);
    expect(m['author']).toBeLessThanOrEqual(2);
    expect(m['refs']).toBeGreaterThan(2);
    expect(m['wider']).toBe(0);
    expect(m['overflow']).toBe(false);
  }, 120_000);

  it('a working-tree audit counts files, not repositories, and shows places without git\'s columns', () => {
    const dir = tempDir();
    const repo = makeRepo({ dir });
    repo.write({ 'config/app.env': `K=${fakeKey('live')}\n`, 'README.md': 'hi\n' });
    const out = join(tempDir(), 'dir.html');
    runCli(['dir', dir, '--format', 'html', '--output', out]);
    const dom = chromium(['--dump-dom', `file://${out}`]);
    expect(dom).toMatch(/<div class="tile"><span class="n">2<\/span><span>files<\/span><\/div>/);
    expect(dom).not.toMatch(/repositor/);
    expect(dom).not.toMatch(/still in HEAD|history only|<th>Commit<\/th>/);
    expect(dom).toMatch(/<th>Place<\/th><\/tr><\/thead><tbody>\s*<tr><td data-label="Place"><code>config\/app\.env:1:3<\/code><\/td><\/tr>/);
  }, 120_000);

  it('says near the top what could not be read, naming each item, and how a key found by decoding was written', async () => {
    const { gzipSync } = await import('node:zlib');
    const dir = tempDir();
    const key = fakeKey('test');
    const big = gzipSync(Buffer.alloc(17 << 20, 0x20)).toString('base64');
    writeFileSync(join(dir, 'values.yaml'), `token: ${Buffer.from(Buffer.from(`CHATBOT_API_KEY=${key}`).toString('base64')).toString('base64')}\nbundle: ${big}\n`);
    const out = join(tempDir(), 'unread.html');
    runCli(['dir', dir, '--format', 'html', '--output', out]);
    const dom = chromium(['--dump-dom', `file://${out}`]);
    expect(dom).toMatch(/<section id="unread"><h2>Not read<\/h2><p>1 item could not be read: the scan cannot vouch for it\.<\/p><ul><li>cannot open values\.yaml!line 2: a base64\/gzip payload inflates to more than 16\.0 MiB/);
    expect(dom).toMatch(/<code>values\.yaml:1:8<\/code> <span class="enc">\(in base64\/base64\)<\/span>/);
    // A clean page has no such section.
    writeFileSync(join(dir, 'values.yaml'), 'image: app\n');
    runCli(['dir', dir, '--format', 'html', '--output', out]);
    expect(readFileSync(out, 'utf8')).not.toContain('id="unread"');
  }, 120_000);

  it('holds no full key unless --show-secrets', () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('k', { 'a.env': `K=${key}\n` });
    const out = join(tempDir(), 'a.html');
    runCli(['git', repo.dir, '--format', 'html', '--output', out]);
    expect(readFileSync(out, 'utf8')).not.toContain(key);
    runCli(['git', repo.dir, '--format', 'html', '--output', out, '--show-secrets']);
    expect(readFileSync(out, 'utf8')).toContain(key);
  });
});

describe('--format html on a phone, a tablet and a desktop', () => {
  it('nothing is wider than the page at 390, 900 and 1200 pixels; every place and author is readable; the timeline stays legible', () => {
    const repo = makeRepo();
    repo.commit('keys', { 'config/prod.env': `K=${fakeKey('live')}\n`, 'services/payments/internal/settings/production.env': `K=${fakeKey('live', 'prod')}\n` });
    for (let i = 0; i < 6; i++) repo.git('branch', `feature/a-rather-long-branch-name-${1000 + i}`);
    const dir = tempDir();
    runCli(['git', repo.dir, '--format', 'html', '--output', join(dir, 'audit.html')]);
    const widths = [390, 900, 1200];
    const probe = join(dir, 'probe.html');
    writeFileSync(
      probe,
      `${widths.map((w) => `<iframe id="f${w}" src="audit.html" style="width:${w}px;height:844px"></iframe>`).join('')}<pre id="m"></pre><script>
const out = {};
let loaded = 0;
for (const w of ${JSON.stringify(widths)}) {
  document.getElementById('f' + w).onload = () => {
    const d = document.getElementById('f' + w).contentDocument;
    const view = d.documentElement.clientWidth;
    const cells = [...d.querySelectorAll('article.card td')];
    const list = d.querySelector('.timeline-list');
    out[w] = {
      overflow: d.documentElement.scrollWidth > view,
      clipped: cells.filter((c) => c.scrollWidth > c.clientWidth + 1).length,
      offPage: [...d.querySelectorAll('article.card code, article.card td')].filter((e) => e.getBoundingClientRect().right > view + 1).length,
      places: cells.filter((c) => c.querySelector('code') && /\\.env:1:/.test(c.textContent)).length,
      authors: cells.filter((c) => /Dev One/.test(c.textContent)).length,
      timeline: getComputedStyle(d.querySelector('#timeline svg')).display !== 'none' ? 'chart' : list && getComputedStyle(list).display !== 'none' ? 'list ' + parseFloat(getComputedStyle(list).fontSize) : 'none',
    };
    if (++loaded === ${widths.length}) document.getElementById('m').textContent = JSON.stringify(out);
  };
}
</script>`,
    );
    const dom = chromium(['--allow-file-access-from-files', '--virtual-time-budget=5000', '--dump-dom', `file://${probe}`]);
    const m = JSON.parse(/<pre id="m">([^<]*)<\/pre>/.exec(dom)?.[1]?.replace(/&quot;/g, '"') ?? '{}') as Record<string, { overflow: boolean; clipped: number; offPage: number; places: number; authors: number; timeline: string }>;
    for (const w of widths) {
      expect({ w, ...m[w] }).toMatchObject({ w, overflow: false, clipped: 0, offPage: 0, places: 2, authors: 2 });
    }
    expect(m['390']?.timeline).toMatch(/^list (1[2-9]|[2-9]\d)/);
    expect(m['1200']?.timeline).toBe('chart');
  }, 120_000);
});
