#!/usr/bin/env node
// The queue page in a real browser: Debian's Chromium driven by puppeteer-core, against a running
// mockhub + `landq serve` world (docs/operations.md, "The queue page").
//
// usage: node browser.mjs --mockhub BIN --landq BIN --world FILE [--chromium BIN]
//                         [--screenshots DIR] [--keep] [CASE...]
//
// One world for all cases, played in order (each case builds on the state the previous ones
// left): the page renders the queue; it updates live when a pull request lands (no reload); it
// works without JavaScript; hostile titles are inert; the pull request page matches
// `landq explain --json`; bad paths get 400/404 pages; a freeze shows up live; it fits a phone.
// Every page load is watched for console errors, page errors, failed requests and CSP
// violations. Tests wait for progress (the page or the JSON changing), never for a fixed time.
// Prints one line per case and "N passed, N failed"; exit 0 when all passed, 77 when Chromium
// or node modules are missing.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = { cases: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (['--mockhub', '--landq', '--world', '--chromium', '--screenshots'].includes(a)) {
    opt[a.slice(2)] = args[++i];
  } else if (a === '--keep') {
    opt.keep = true;
  } else if (a.startsWith('--')) {
    console.error(`browser.mjs: unknown option ${a}`);
    process.exit(2);
  } else {
    opt.cases.push(a);
  }
}
if (!opt.mockhub || !opt.landq || !opt.world) {
  console.error('usage: browser.mjs --mockhub BIN --landq BIN --world FILE [CASE...]');
  process.exit(2);
}
const chromium = opt.chromium || ['/usr/bin/chromium', '/usr/bin/chromium-browser']
  .find((p) => existsSync(p));
if (!chromium) {
  console.log('SKIP: no Chromium (Debian package chromium; scripts/deps.sh installs it)');
  process.exit(77);
}
let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch (e) {
  console.log(`SKIP: puppeteer-core is not installed (npm ci in tests/browser): ${e.message}`);
  process.exit(77);
}

const REPO = 'acme/mono';
const SECRET = 'browser-webhook-secret';
const ADMIN = 'browser-admin-token-0123456789';
const TIMEOUT = Number(process.env.LANDQ_BROWSER_TIMEOUT || 60) * 1000;
const dir = mkdtempSync(join(tmpdir(), 'landq-browser-'));
const procs = [];

class Fail extends Error {}
function check(cond, msg) {
  if (!cond) throw new Fail(msg);
}

// ---------------------------------------------------------------- the world

function start(cmd, argv, env, log) {
  const p = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  p.stdout.on('data', (d) => out.push(d));
  p.stderr.on('data', (d) => out.push(d));
  p.log = () => Buffer.concat(out).toString();
  p.logName = log;
  procs.push(p);
  return p;
}

async function until(what, fn, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Fail(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function portOf(file, proc) {
  return until(`${proc.logName} to listen`, () => {
    if (proc.exitCode !== null) throw new Fail(`${proc.logName} exited: ${proc.log()}`);
    const s = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return s ? Number(s) : 0;
  }, 30000);
}

let api, ops;
async function gh(method, path, user, body) {
  const r = await fetch(api + path, {
    method,
    headers: { Authorization: `token tok-${user === 'landq-bot' ? 'landq' : user}`,
               Accept: 'application/vnd.github+json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}
async function ghOk(method, path, user, body) {
  const r = await gh(method, path, user, body);
  check(r.status >= 200 && r.status < 300, `${method} ${path} as ${user}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}
async function openPr(head, title, user = 'alice') {
  return ghOk('POST', `/repos/${REPO}/pulls`, user, { title, head, base: 'main', body: 'Body.' });
}
const label = (n, name = 'land', user = 'alice') =>
  ghOk('POST', `/repos/${REPO}/issues/${n}/labels`, user, { labels: [name] });
const approve = (n, user) =>
  ghOk('POST', `/repos/${REPO}/pulls/${n}/reviews`, user, { event: 'APPROVE', body: 'LGTM' });

async function queueJson() {
  const r = await fetch(`${ops}/api/queue`);
  check(r.status === 200, `/api/queue: ${r.status}`);
  return r.json();
}
function pullsOf(q) {
  const out = [];
  for (const r of q.repos) for (const b of r.branches) for (const l of b.lanes) out.push(...l.pulls);
  return out;
}
async function pullState(n) {
  const p = pullsOf(await queueJson()).find((x) => x.number === n);
  return p && p.evaluated ? p : null;
}

function run(cmd, argv, env) {
  return new Promise((resolve) => {
    execFile(cmd, argv, { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

// ---------------------------------------------------------------- the browser

let browser;
const problems = []; // console errors, page errors, failed requests, CSP violations

async function newPage({ js = true, width = 1280, height = 900 } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  await page.setJavaScriptEnabled(js);
  page.on('console', (m) => {
    // Chromium logs every 4xx document as an error; the errors case asks for those.
    if (page.expectErrors && /^Failed to load resource: the server responded with a status of 4/
      .test(m.text())) return;
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !page.expectErrors) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  // Runs before any page script, outside the page's CSP.
  await page.evaluateOnNewDocument(() => {
    window.__loads = (window.__loads || 0) + 1;
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return page;
}

async function shot(page, name) {
  const out = opt.screenshots || join(dir, 'screenshots');
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out, name), fullPage: true });
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent.replace(/\s+/g, ' ').trim());

// ---------------------------------------------------------------- cases

const state = {};

const cases = {
  // The queue: a pull request waiting for its owners, with the paths and owners, in a table.
  async render() {
    const pr = await openPr('infra', 'Tune infra');
    state.infra = pr.number;
    await label(pr.number);
    const p = await until('landq to evaluate the pull request',
      async () => (await pullState(pr.number))?.state === 'waiting_for_owners' && pullState(pr.number));
    check(p.waiting_for_owners.some((m) => m.path === 'infra/main.tf' && m.owners.includes('@acme/infra')),
      `JSON names the path and owners: ${JSON.stringify(p.waiting_for_owners)}`);
    const page = await newPage();
    const resp = await page.goto(`${ops}/queue`);
    check(resp.status() === 200, `/queue: ${resp.status()}`);
    const csp = resp.headers()['content-security-policy'] || '';
    check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `CSP: ${csp}`);
    check((await text(page, 'h1')) === 'landq queue', 'page heading');
    const row = `#pr-${pr.number}`;
    const rowText = await text(page, row);
    for (const want of ['waiting for owners', 'infra/main.tf', '@acme/infra', 'Tune infra', 'alice'])
      check(rowText.includes(want), `row says "${want}": ${rowText}`);
    check(rowText.includes(p.why.summary.replace(/`/g, '')), `the row's why is the JSON's: ${p.why.summary}`);
    const href = await page.$eval(`${row} a`, (a) => a.getAttribute('href'));
    check(href === `https://github.com/${REPO}/pull/${pr.number}`, `PR link ${href}`);
    const headers = await page.$$eval('table.queue thead th[scope="col"]', (t) => t.map((x) => x.textContent));
    check(headers.join('|') === 'Position|Pull request|State|In queue|Why', `column headers: ${headers}`);
    check(await page.$('table.queue caption'), 'the table has a caption');
    check(await page.$(`${row} .state [aria-hidden="true"]`), 'a symbol next to the state words');
    await shot(page, 'queue-page-waiting.png');
    await page.close();
  },

  // A landing updates the page in place: the row leaves the queue, "Last landings" gains it.
  async live() {
    const page = await newPage();
    await page.goto(`${ops}/queue`);
    await page.evaluate(() => { window.__marker = 'same document'; });
    const n = state.infra;
    check(await page.$(`#pr-${n}`), 'the pull request is on the page');
    await approve(n, 'ivan');
    await page.waitForFunction((num) => !document.querySelector(`#pr-${num}`) &&
      document.querySelector('table.landings')?.textContent.includes(`#${num}`),
    { timeout: TIMEOUT, polling: 200 }, n);
    check(await page.evaluate(() => window.__marker) === 'same document', 'updated without a reload');
    check(await page.evaluate(() => window.__loads) === 1, 'loaded once');
    const live = await text(page, '#live');
    check(/Queue updated/.test(live), `the live region says so: "${live}"`);
    const landing = (await queueJson()).landings.find((l) => l.number === n);
    check(landing && landing.time_to_land_s !== null, `time to land in the JSON: ${JSON.stringify(landing)}`);
    await page.close();
  },

  // Without JavaScript the page is complete as served.
  async nojs() {
    const pr = await openPr('docs', 'Better docs');
    state.docs = pr.number;
    await label(pr.number);
    await until('the docs pull request to be evaluated', () => pullState(pr.number));
    const page = await newPage({ js: false });
    await page.goto(`${ops}/queue`);
    check(!(await page.evaluate(() => document.documentElement.classList.contains('live-updates'))),
      'no script ran');
    const rowText = await text(page, `#pr-${pr.number}`);
    check(rowText.includes('docs/guide.md') && rowText.includes('docs-lead@acme.test'), `row: ${rowText}`);
    check((await text(page, 'table.landings')).includes(`#${state.infra}`), 'landings listed');
    check((await text(page, '#rate')).includes('requests left'), 'rate-limit budget shown');
    const details = await page.$eval(`#pr-${pr.number} .more`, (a) => a.getAttribute('href'));
    const sub = await page.goto(ops + details);
    check(sub.status() === 200, 'the pull request page without JavaScript');
    check((await text(page, 'h1')).includes(`${REPO}#${pr.number}`), 'its heading');
    await page.close();
  },

  // Hostile titles are text: no script runs, no element is injected, links stay on GitHub.
  async hostile() {
    const evil = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">' +
      '"\'><svg onload=alert(3)> \u202Egnp.exe javascript:alert(4)';
    const pr = await openPr('app-a', evil);
    state.evil = pr.number;
    await label(pr.number);
    await until('the hostile pull request to be evaluated', () => pullState(pr.number));
    for (const path of ['/queue', `/queue/${REPO}/${pr.number}`]) {
      const page = await newPage();
      await page.goto(ops + path);
      check(await page.evaluate(() => window.__pwned) === undefined, `${path}: no injected script ran`);
      check(await page.$$eval('img, svg, iframe, object, embed', (x) => x.length) === 0,
        `${path}: no injected element`);
      check(await page.$$eval('script', (s) => s.map((x) => x.getAttribute('src')).join()) ===
        '/queue/assets/queue.js', `${path}: only landq's script`);
      const titles = await page.$$eval('.title', (t) => t.map((x) => x.textContent));
      check(titles.includes(evil), `${path}: the title is shown as text`);
      const hrefs = await page.$$eval('a[href]', (a) => a.map((x) => x.getAttribute('href')));
      for (const h of hrefs)
        check(h.startsWith('https://github.com/') || h.startsWith('/') || h.startsWith('#'), `${path}: link ${h}`);
      await page.close();
    }
  },

  // The pull request page shows what `landq explain --json` says.
  async prpage() {
    const n = state.docs;
    const ex = await run(opt.landq, ['explain', '--pr', `${REPO}#${n}`, '--json', '--github-api', api],
      { LANDQ_GITHUB_TOKEN: 'tok-landq', LANDQ_REPOS: REPO });
    check(ex.code === 0, `landq explain: ${ex.code} ${ex.stderr}`);
    const want = JSON.parse(ex.stdout);
    const page = await newPage();
    const resp = await page.goto(`${ops}/queue/${REPO}/${n}`);
    check(resp.status() === 200, `pull request page: ${resp.status()}`);
    check((await text(page, '#verdict')) === want.verdict.kind, 'verdict kind');
    check((await text(page, '#summary')) === want.verdict.summary.replace(/`/g, ''), 'verdict summary');
    const reasons = await page.$$eval('#reasons li', (l) => l.map((x) => x.textContent));
    check(JSON.stringify(reasons) === JSON.stringify(want.verdict.reasons.map((r) => r.replace(/`/g, ''))),
      `reasons: ${JSON.stringify(reasons)} vs ${JSON.stringify(want.verdict.reasons)}`);
    const rows = await page.$$eval('#file-table tbody tr', (trs) => trs.map((tr) => ({
      path: tr.querySelector('.path').textContent,
      owners: [...tr.querySelectorAll('.owners bdi')].map((b) => b.textContent),
      missing: tr.querySelector('.missing')?.textContent ?? null,
    })));
    check(rows.length === want.files.length, `${rows.length} file rows, explain has ${want.files.length}`);
    want.files.forEach((f, i) => {
      check(rows[i].path === f.path, `path ${i}: ${rows[i].path} vs ${f.path}`);
      check(JSON.stringify(rows[i].owners) === JSON.stringify(f.owners), `owners of ${f.path}`);
      check(rows[i].missing === f.missing, `missing of ${f.path}: ${rows[i].missing} vs ${f.missing}`);
    });
    // landq's own status is posted after the evaluation the page shows; the rest must agree
    const checks = await page.$$eval('#check-table tbody tr', (trs) => trs.map((tr) =>
      tr.querySelector('th').textContent));
    const wantChecks = want.checks.map((c) => c.name).filter((c) => c !== 'landq');
    check(JSON.stringify(checks.filter((c) => c !== 'landq')) === JSON.stringify(wantChecks),
      `checks: ${checks} vs ${wantChecks}`);
    const history = await text(page, '#history + *');
    check(/wait/.test(history), `the audit trail: ${history}`);
    await shot(page, 'queue-pr-page.png');
    await page.close();
  },

  // Unknown pull requests, unknown repositories, malformed paths, huge query strings.
  async errors() {
    const page = await newPage();
    page.expectErrors = true;
    const expect = [
      [`/queue/${REPO}/99999`, 404, 'no record'],
      ['/queue/acme/elsewhere/1', 404, 'does not serve'],
      [`/queue/${REPO}/abc`, 400, 'number'],
      [`/queue/${REPO}/1/extra`, 400, 'number'],
      [`/queue?${'q='.padEnd(3000, 'x')}`, 400, 'too long'],
      ['/queue/assets/nope.js', 404, 'no such asset'],
    ];
    for (const [path, status, says] of expect) {
      const resp = await page.goto(ops + path);
      check(resp.status() === status, `${path}: ${resp.status()} instead of ${status}`);
      check((await text(page, 'h1')).startsWith(String(status)), `${path}: error heading`);
      check((await text(page, '.error')).includes(says), `${path}: says "${says}"`);
    }
    const j = await fetch(`${ops}/api/queue/${REPO}/99999`);
    check(j.status === 404 && (await j.json()).error, 'the JSON API answers JSON errors');
    await page.close();
  },

  // A freeze shows up live on the page; the pull request is told why it waits; unfreeze lands it.
  async freeze() {
    const page = await newPage();
    await page.goto(`${ops}/queue`);
    const env = { LANDQ_ADMIN_TOKEN: ADMIN };
    const fz = await run(opt.landq, ['freeze', '--repo', REPO, '--branch', 'main', '--reason',
      'release 4.2', '--by', 'carol', '--server', ops], env);
    check(fz.code === 0, `landq freeze: ${fz.code} ${fz.stderr}`);
    await page.waitForFunction(() => document.querySelector('.frozen')?.textContent.includes('release 4.2'),
      { timeout: TIMEOUT, polling: 200 });
    check((await text(page, '.frozen')).includes('carol'), 'who froze it');
    const n = state.docs;
    await approve(n, 'dora');
    await page.waitForFunction((num) => document.querySelector(`#pr-${num}`)?.textContent.includes('held'),
      { timeout: TIMEOUT, polling: 200 }, n);
    check((await text(page, `#pr-${n}`)).includes('main is frozen'), 'the why names the freeze');
    await shot(page, 'queue-page-frozen.png');
    const uf = await run(opt.landq, ['unfreeze', '--repo', REPO, '--branch', 'main', '--by', 'carol',
      '--server', ops], env);
    check(uf.code === 0, `landq unfreeze: ${uf.code} ${uf.stderr}`);
    await page.waitForFunction((num) => !document.querySelector(`#pr-${num}`) &&
      document.querySelector('table.landings')?.textContent.includes(`#${num}`),
    { timeout: TIMEOUT, polling: 200 }, n);
    await page.close();
  },

  // Readable on a phone: nothing wider than the screen but the tables' own scroll areas.
  async phone() {
    const pr = await openPr('readme', 'Improve the README, with a title long enough to wrap on a phone screen');
    await label(pr.number);
    await until('the readme pull request to be evaluated', () => pullState(pr.number));
    const page = await newPage({ width: 390, height: 844 });
    await page.goto(`${ops}/queue`);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 &&
        !(e.parentElement && e.parentElement.closest('.scroll')))
      .map((e) => `${e.tagName}.${e.className}#${e.id}`).slice(0, 5).join(', '));
    check(over <= 1, `the page is ${over}px wider than the screen: ${wide}`);
    const font = await page.$eval('body', (b) => parseFloat(getComputedStyle(b).fontSize));
    check(font >= 14, `font size ${font}px`);
    await shot(page, 'queue-page-phone.png');
    const desk = await newPage();
    await desk.goto(`${ops}/queue`);
    await shot(desk, 'queue-page.png');
    await desk.close();
    await page.close();
  },
};

// ---------------------------------------------------------------- main

async function main() {
  const mh = start(opt.mockhub, ['serve', '--world', opt.world, '--listen', '127.0.0.1:0',
    '--port-file', join(dir, 'mockhub.port'), '--state-dir', join(dir, 'state')], {}, 'mockhub');
  api = `http://127.0.0.1:${await portOf(join(dir, 'mockhub.port'), mh)}`;
  const lq = start(opt.landq, ['serve', '--github-api', api, '--listen', '127.0.0.1:0',
    '--port-file', join(dir, 'landq.port'), '--ops-listen', '127.0.0.1:0',
    '--ops-port-file', join(dir, 'ops.port'), '--repo', REPO, '--db', join(dir, 'landq.db')],
  { LANDQ_GITHUB_TOKEN: 'tok-landq', LANDQ_WEBHOOK_SECRET: SECRET, LANDQ_ADMIN_TOKEN: ADMIN }, 'landq');
  const lqPort = await portOf(join(dir, 'landq.port'), lq);
  ops = `http://127.0.0.1:${await portOf(join(dir, 'ops.port'), lq)}`;
  await ghOk('POST', `/repos/${REPO}/hooks`, 'bob', {
    name: 'web', active: true,
    events: ['pull_request', 'pull_request_review', 'status', 'check_run', 'check_suite'],
    config: { url: `http://127.0.0.1:${lqPort}/webhook`, content_type: 'json', secret: SECRET },
  });
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', `--user-data-dir=${join(dir, 'chromium')}`],
  });
  const names = opt.cases.length ? opt.cases : Object.keys(cases);
  let passed = 0, failed = 0;
  for (const name of names) {
    if (!cases[name]) {
      console.log(`FAIL ${name}: no such case (${Object.keys(cases).join(', ')})`);
      failed++;
      continue;
    }
    problems.length = 0;
    const t0 = Date.now();
    try {
      await cases[name]();
      check(problems.length === 0, `the browser reported problems:\n  ${problems.join('\n  ')}`);
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${name}: ${e instanceof Fail ? e.message : e.stack}`);
      failed++;
    }
  }
  await browser.close();
  if (failed) {
    console.log(`--- landq log (tail) ---\n${lq.log().split('\n').slice(-40).join('\n')}`);
    console.log(`--- mockhub log (tail) ---\n${mh.log().split('\n').slice(-15).join('\n')}`);
  }
  lq.kill('SIGTERM');
  const code = await new Promise((r) => (lq.exitCode !== null ? r(lq.exitCode) : lq.on('exit', r)));
  if (code !== 0) {
    console.log(`FAIL landq exited with ${code} on SIGTERM`);
    failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

let rc = 1;
try {
  rc = await main();
} catch (e) {
  console.log(`FAIL setup: ${e instanceof Fail ? e.message : e.stack}`);
  for (const p of procs) console.log(`--- ${p.logName} ---\n${p.log().split('\n').slice(-30).join('\n')}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  if (!opt.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`(kept ${dir})`);
}
process.exit(rc);
