/**
 * An audit report an auditor reads in a browser: one self-contained file (no
 * network, no external script, style or font), opened from disk.
 *
 * - a summary: keys by severity and by status, repositories scanned, time;
 * - a timeline (inline SVG): for each key, from the first commit that held it
 *   to the last, and whether it is still in HEAD;
 * - one card per key: value (redacted), rule, environment, verification,
 *   every place and the remediation steps;
 * - filters by severity, status and repository, and a text search, in plain
 *   JavaScript embedded in the page; a filter may also come in the address
 *   (`report.html#severity=critical&q=payments`).
 *
 * Everything that comes from scanned content is escaped: a path or a message
 * holding `<script>` renders as text.
 */
import { createHash } from 'node:crypto';
import { KIND_NAMES, distinctPlaces, keyWhere } from './advice.js';
import { AUDIT_MODE, changeSentence } from './settings.js';
import { count, formatDuration, formatNumber, printable } from '../common/text.js';
import { filePath } from '../sources/origin.js';
import { placeAt, placeLabel, scannedWords } from './format.js';
import { unread, type Finding, type Report, type SecretExposure } from './model.js';
import { SEVERITIES } from '../detect/rule.js';
import { groupBy } from '../common/group.js';

const STATUSES = ['active', 'inactive', 'unknown', 'unchecked'] as const;

/** Text for HTML content and attribute values. */
function esc(s: string): string {
  return printable(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderHtml(report: Report): string {
  const open = distinctPlaces(report.findings.filter((f) => !f.suppressed));
  const byKey = groupBy(open, (f) => f.secret.sha256);
  const targets = report.targets?.map((t) => t.target) ?? [...new Set(open.map((f) => f.target ?? report.target.root))];
  const title = `sk-scan audit: ${count(report.secrets.length, 'key')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${scriptHash()}'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${esc(title)} in ${esc(count(open.length, 'place'))}</h1>
<p class="meta">${esc(scanLine(report, targets.length))}</p></header>
${summary(report, targets.length)}
${settingsSection(report)}
${unreadSection(report)}
${timeline(report.secrets, byKey)}
${filters(targets)}
<main id="cards">
${report.secrets.map((s, i) => card(s, i + 1, byKey.get(s.sha256) ?? [], report.target.kind === 'git')).join('\n')}
</main>
<p id="none" hidden>No key matches these filters.</p>
${errorsSection(report)}
<footer>sk-scan ${esc(report.tool.version)}. Keys are shown redacted: prefix and last four characters.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The page's one script, allowed by its hash in the CSP: nothing else injected into the page could run, inline or not. */
function scriptHash(): string {
  return `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`;
}

function scanLine(report: Report, repositories: number): string {
  const { stats } = report;
  const where = report.target.kind === 'git' ? `${count(repositories, 'repository', 'repositories')}, ` : '';
  return `Scanned ${where}${scannedWords(report)}, in ${formatDuration(stats.durationMs)}.${stats.suppressed > 0 ? ` ${count(stats.suppressed, 'finding')} accepted.` : ''}`;
}

/** Repositories for a history audit; files (or objects) for anything else, which has no repository to count. */
function scannedTile(report: Report, repositories: number): string {
  if (report.target.kind === 'git') return `<div class="tile"><span class="n" id="repositories">${repositories}</span><span>${repositories === 1 ? 'repository' : 'repositories'}</span></div>`;
  // Binary files are counted as the page's first line counts them: read, and searched for keys.
  const files = report.stats.files + report.stats.skipped.binary;
  return `<div class="tile"><span class="n">${esc(formatNumber(files))}</span><span>${files === 1 ? 'file' : 'files'}</span></div>`;
}

function summary(report: Report, repositories: number): string {
  const bySeverity = groupBy(report.secrets, (s) => s.severity);
  const byStatus = groupBy(report.secrets, (s) => s.verification.status);
  const cells = (names: readonly string[], groups: Map<string, unknown[]>) =>
    names.map((n) => `<div class="tile ${esc(n)}"><span class="n" data-count="${esc(n)}">${groups.get(n)?.length ?? 0}</span><span>${esc(n)}</span></div>`).join('');
  return `<section id="summary" aria-label="summary">
<div class="row"><h2>By severity</h2>${cells(SEVERITIES, bySeverity)}</div>
<div class="row"><h2>By status</h2>${cells(STATUSES, byStatus)}</div>
<div class="row"><h2>Scanned</h2>${scannedTile(report, repositories)}<div class="tile"><span class="n">${esc(formatDuration(report.stats.durationMs))}</span><span>time</span></div></div>
</section>`;
}

/** One row per key: a bar from the first commit that held it to the last; an arrow to the right edge if it is still in HEAD. */
function timeline(secrets: SecretExposure[], byKey: Map<string, Finding[]>): string {
  const spans = secrets.map((s) => {
    // From the first commit that held it to the one that took it out (the exposure window), else its last entry.
    const dates = [...(byKey.get(s.sha256) ?? []).map((f) => f.date ?? ''), s.exposure?.removedIn?.date ?? ''].map((d) => Date.parse(d)).filter((t) => Number.isFinite(t));
    return dates.length > 0 ? { s, from: Math.min(...dates), to: Math.max(...dates) } : null;
  });
  const known = spans.filter((x): x is { s: SecretExposure; from: number; to: number } => x !== null);
  if (known.length === 0) return '';
  const start = Math.min(...known.map((k) => k.from));
  const end = Math.max(...known.map((k) => k.to), start + 86_400_000);
  const [left, width, row] = [150, 780, 22];
  const x = (t: number) => left + ((t - start) / (end - start)) * width;
  const rows = spans.map((k, i) => {
    const y = 24 + i * row;
    if (!k) return `<g class="bar"><text x="4" y="${y + 12}">${i + 1}. ${esc((secrets[i] as SecretExposure).redacted)}</text><text x="${left}" y="${y + 12}" class="axis">in no commit (staged or dangling): no date</text></g>`;
    // At least 4 pixels: a key that lived for a day is still a mark the eye finds.
    const x1 = Math.min(x(k.from), left + width - 4);
    const x2 = Math.max(k.s.atHead ? left + width : x(k.to), x1 + 4);
    return `<g class="bar ${esc(k.s.severity)}"><text x="4" y="${y + 12}">${i + 1}. ${esc(k.s.redacted)}</text><rect x="${x1.toFixed(1)}" y="${y}" width="${(x2 - x1).toFixed(1)}" height="14" rx="3"><title>${esc(`${k.s.redacted}: first ${new Date(k.from).toISOString().slice(0, 10)}, ${k.s.atHead ? 'still in HEAD' : `last ${new Date(k.to).toISOString().slice(0, 10)}, not in HEAD`}`)}</title></rect>${k.s.atHead ? `<text x="${left + width + 4}" y="${y + 12}">HEAD</text>` : ''}</g>`;
  });
  const height = 40 + secrets.length * row;
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  // On a phone the chart's text would shrink past reading: the same facts as a list instead.
  const list = spans
    .map((k, i) => `<li><code>${esc((secrets[i] as SecretExposure).redacted)}</code> ${k ? `${day(k.from)} → ${k.s.atHead ? 'HEAD (still there)' : day(k.to)}` : 'in no commit'}</li>`)
    .join('');
  return `<section id="timeline" aria-label="timeline"><h2>When each key was in the history</h2>
<ol class="timeline-list">${list}</ol>
<svg viewBox="0 0 980 ${height}" width="100%" role="img" aria-label="exposure timeline">
<text x="${left}" y="14" class="axis">${day(start)}</text><text x="${left + width}" y="14" class="axis" text-anchor="end">${day(end)}</text>
${rows.join('\n')}
</svg></section>`;
}

function filters(targets: string[]): string {
  const options = (values: readonly string[]) => values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('');
  return `<section id="filters" aria-label="filters">
<label>Severity <select id="f-severity"><option value="">all</option>${options(SEVERITIES)}</select></label>
<label>Status <select id="f-status"><option value="">all</option>${options(STATUSES)}</select></label>
${targets.length > 1 ? `<label>Repository <select id="f-target"><option value="">all</option>${options(targets)}</select></label>` : '<select id="f-target" hidden><option value=""></option></select>'}
<label>Search <input id="f-q" type="search" placeholder="path, key, commit, author"></label>
<span id="shown"></span>
</section>`;
}

/** One key's card; `git`: a history audit, whose places have commits, authors and refs (else only the place). */
function card(s: SecretExposure, n: number, places: Finding[], git: boolean): string {
  const first = places[0];
  const v = s.verification;
  const status = v.status === 'active' ? `ACTIVE${v.requiredScope ? ` (lacks ${v.requiredScope})` : ''}` : v.status === 'unchecked' ? 'not verified' : `${v.status} (${v.reason})`;
  const targets = [...new Set(places.map((f) => f.target ?? ''))];
  const text = [s.redacted, s.ruleId, ...places.flatMap((f) => [filePath(f) ?? placeLabel(f), f.commit ?? '', f.author ?? '', f.target ?? ''])].join(' ').toLowerCase();
  return `<article class="card ${esc(s.severity)}" data-severity="${esc(s.severity)}" data-status="${esc(v.status)}" data-targets="${esc(targets.join('\n'))}" data-text="${esc(text)}">
<h3><span class="num">${n}.</span> <code>${esc(first?.secret.value ?? s.redacted)}</code> <span class="sev">${esc(s.severity)}</span></h3>
<p class="facts">${esc(KIND_NAMES[s.kind] ?? s.kind)} · rule ${esc(s.ruleId)}${s.environment ? ` · environment ${esc(s.environment)}` : ''} · <span class="status">${esc(status)}</span>${places.some((f) => f.secret.partial) ? ' · may be cut short' : ''}${git ? ` · ${esc(keyWhere(true, s, places))}` : ''}</p>
${git ? `<table><thead><tr><th>Repository</th><th>Place</th><th>Commit</th><th>Author</th><th>Date</th><th class="refs">Refs</th></tr></thead><tbody>
${places.map(placeRow).join('\n')}
</tbody></table>` : `<table><thead><tr><th>Place</th></tr></thead><tbody>
${places.map((f) => `<tr><td data-label="Place"><code>${esc(placeAt(f))}</code>${f.secret.encoding ? ` <span class="enc">(in ${esc(f.secret.encoding)})</span>` : ''}</td></tr>`).join('\n')}
</tbody></table>`}
<ol class="steps">${(first?.remediation ?? []).map((step) => `<li>${esc(step)}</li>`).join('')}</ol>
</article>`;
}

/**
 * A place escaped. One that fits a column as it is (up to 40 characters) stays
 * whole; a longer one may break after a `/`, between its folders, so that it
 * never widens the table past the page.
 */
function breakable(path: string): string {
  return path.length <= 40 ? esc(path) : esc(path).split('/').join('/<wbr>');
}

function placeRow(f: Finding): string {
  const place = placeAt(f);
  const refs = f.git?.unreachable ? 'unreachable' : (f.git?.refs ?? []).join(', ');
  // A place or an author is broken only where it must be; a repository's path and a list of refs may wrap anywhere.
  // On a phone each row becomes a card, each cell labelled by its column (data-label).
  return `<tr><td class="long" data-label="Repository">${esc(f.target ?? '')}</td><td data-label="Place"><code>${breakable(place)}</code></td><td class="nowrap" data-label="Commit"><code>${esc(f.commit?.slice(0, 12) ?? '')}</code></td><td data-label="Author">${esc(f.author ?? '')}</td><td class="nowrap" data-label="Date">${esc(f.date?.slice(0, 10) ?? '')}</td><td class="long" data-label="Refs">${esc(refs)}</td></tr>`;
}

/** The mode, and every setting that changed what was scanned or reported, near the top: they qualify every number below. */
function settingsSection(report: Report): string {
  const { mode, changes } = report.settings;
  if (mode !== 'audit' && changes.length === 0) return '';
  const items = [...(mode === 'audit' ? [`Run in ${AUDIT_MODE}.`] : []), ...changes.map(changeSentence)];
  return `<section id="settings"><h2>Settings that changed this scan</h2><ul>${items.map((t) => `<li>${esc(t)}</li>`).join('')}</ul></section>`;
}

/**
 * What could not be read and nobody accepted, near the top: a page that shows
 * no key must not read as a clean bill for what was never searched (the
 * warnings that name each item, as the text report prints them).
 */
function unreadSection(report: Report): string {
  const n = unread(report.stats);
  if (n === 0) return '';
  const named = report.warnings.filter((w) => /^cannot (read|open) /.test(w));
  return `<section id="unread"><h2>Not read</h2><p>${esc(count(n, 'item'))} could not be read: the scan cannot vouch for ${n === 1 ? 'it' : 'them'}.</p>${named.length > 0 ? `<ul>${named.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}</section>`;
}

function errorsSection(report: Report): string {
  if (report.errors.length === 0) return '';
  return `<section id="errors"><h2>Not scanned</h2><ul>${report.errors.map((e) => `<li><code>${esc(e.target)}</code>: ${esc(e.message)}</li>`).join('')}</ul></section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1d2330;background:#f6f7f9}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#5b6475;margin:0 12px 0 0;min-width:90px}
.meta{color:#5b6475;margin:0 0 12px}
#summary .row{display:flex;align-items:center;gap:8px;margin:6px 0}
.tile{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:6px 12px;min-width:74px;display:flex;flex-direction:column}
.tile .n{font-size:20px;font-weight:600}
.tile.critical .n,.tile.active .n{color:#b3141f}.tile.high .n{color:#b35c00}
#timeline{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 12px;margin:12px 0}
#timeline text{font-size:11px;fill:#1d2330}#timeline .axis{fill:#5b6475}
.bar rect{fill:#7a8599}.bar.critical rect{fill:#c8242f}.bar.high rect{fill:#e07b00}.bar.medium rect{fill:#c9a400}
#settings{background:#fff8e6;border:1px solid #e8d08a;border-radius:6px;padding:6px 12px;margin:12px 0}#settings h2{margin:4px 0}#settings ul{margin:4px 0;padding-left:20px}
#unread{background:#fdecec;border:1px solid #e6a5a5;border-radius:6px;padding:6px 12px;margin:12px 0}#unread h2{margin:4px 0}#unread p{margin:4px 0}#unread ul{margin:4px 0;padding-left:20px}#unread li{overflow-wrap:anywhere}
.enc{color:#5b6475}
#filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:12px 0}
#filters select,#filters input{font:inherit;padding:3px 6px}
.card{background:#fff;border:1px solid #dde1e8;border-left:6px solid #7a8599;border-radius:6px;padding:10px 14px;margin:10px 0}
.card.critical{border-left-color:#c8242f}.card.high{border-left-color:#e07b00}.card.medium{border-left-color:#c9a400}
.card h3{margin:0;font-size:16px}.card .sev{font-size:12px;text-transform:uppercase;color:#5b6475;margin-left:6px}
.card.critical .sev{color:#c8242f;font-weight:700}
.facts{margin:4px 0 8px;color:#3b4252}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 8px 3px 0;border-bottom:1px solid #eceef2;vertical-align:top;overflow-wrap:break-word}
th,td.nowrap{white-space:nowrap;overflow-wrap:normal}td.long{overflow-wrap:anywhere}th.refs{width:30%}
.steps{margin:8px 0 0;padding-left:20px;color:#3b4252;overflow-wrap:anywhere}.card h3,.facts,.meta,#settings li{overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
footer{color:#5b6475;margin:16px 0}
#summary .row{flex-wrap:wrap}.timeline-list{display:none;margin:4px 0;padding-left:20px}
@media (max-width:600px){
body{padding:10px 12px}h2{min-width:0;width:100%}.tile{min-width:64px;padding:4px 8px}
#timeline svg{display:none}.timeline-list{display:block}
.card table,.card thead,.card tbody,.card tr,.card td{display:block;width:auto}.card thead{display:none}
.card tr{border:1px solid #eceef2;border-radius:4px;margin:6px 0;padding:4px 6px}
.card td{border:0;padding:1px 0;white-space:normal;overflow-wrap:anywhere}.card td::before{content:attr(data-label) ": ";color:#5b6475;font-size:12px}
#filters label{display:flex;gap:6px;align-items:center;width:100%}#filters input,#filters select{flex:1;min-width:0}
}
`;

/** The filters: plain JavaScript, no library; state also read from the address's #fragment. */
const SCRIPT = `
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var cards = Array.prototype.slice.call(document.querySelectorAll('article.card'));
  var fields = { severity: $('f-severity'), status: $('f-status'), target: $('f-target'), q: $('f-q') };
  var hash = new URLSearchParams(location.hash.slice(1));
  Object.keys(fields).forEach(function (k) { if (hash.has(k)) fields[k].value = hash.get(k); });
  function apply() {
    var q = fields.q.value.trim().toLowerCase();
    var shown = 0;
    cards.forEach(function (c) {
      var ok = (!fields.severity.value || c.dataset.severity === fields.severity.value)
        && (!fields.status.value || c.dataset.status === fields.status.value)
        && (!fields.target.value || c.dataset.targets.split('\\n').indexOf(fields.target.value) !== -1)
        && (!q || c.dataset.text.indexOf(q) !== -1);
      c.hidden = !ok;
      if (ok) shown++;
    });
    $('shown').textContent = shown + ' of ' + cards.length + ' keys shown';
    $('none').hidden = shown !== 0;
  }
  Object.keys(fields).forEach(function (k) { fields[k].addEventListener('input', apply); fields[k].addEventListener('change', apply); });
  apply();
})();
`;
