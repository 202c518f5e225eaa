// Drives the real Socket.IO Admin UI (@socket.io/admin-ui's built page) in headless Chromium against our server:
// logs in through its connection form, then checks that the sockets list, the rooms and the dashboard follow
// socket.io-client peers as they connect, join a room and leave.
// Usage: node tests/js/admin_ui_browser.js <ui url> <server url> <chromium path> <screenshot path>
// Prints one JSON line; exits non-zero on failure.
'use strict';

const { chromium } = require('playwright-core');
const { io } = require('socket.io-client');

const [uiUrl, serverUrl, executablePath, screenshot] = process.argv.slice(2);
const TIMEOUT = 15000;

function peer() {
  return new Promise((resolve, reject) => {
    const socket = io(serverUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function showsText(page, text) {
  await page.waitForFunction((t) => document.body.innerText.includes(t), text);
}

async function lacksText(page, text) {
  await page.waitForFunction((t) => !document.body.innerText.includes(t), text);
}

// The namespace selector (a Vuetify select): the UI starts on the first namespace it heard of.
async function selectNamespace(page, name) {
  await page.locator('.v-select', { hasText: 'Select namespace' }).click();
  await page.getByRole('option', { name, exact: true }).click();
}

async function main() {
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const peers = [];
  let page;
  try {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(TIMEOUT);
    // The page asks CDNs for fonts and icons; the test stays on this machine.
    const local = new URL(uiUrl).host;
    const server = new URL(serverUrl).host;
    await page.route('**/*', (route) => {
      const host = new URL(route.request().url()).host;
      return host === local || host === server ? route.continue() : route.abort();
    });
    await page.goto(`${uiUrl}/#/`);

    // Wrong password first: the form stays up and shows the server's refusal (python-socketio's text; the Node
    // server's 'invalid credentials' would be shown as the UI's own wording instead).
    await page.getByLabel('Server URL').fill(serverUrl);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Connect' }).click();
    await showsText(page, 'authentication failed');

    await page.getByLabel('Password').fill('secret');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByLabel('Password').waitFor({ state: 'hidden' });

    const alice = await peer();
    const bob = await peer();
    peers.push(alice, bob);
    await page.goto(`${uiUrl}/#/sockets/`);
    await selectNamespace(page, '/');
    await showsText(page, alice.id);
    await showsText(page, bob.id);

    const answer = await alice.timeout(5000).emitWithAck('enter', 'lobby');
    await page.goto(`${uiUrl}/#/rooms/`);
    await showsText(page, 'lobby');

    bob.disconnect();
    await page.goto(`${uiUrl}/#/sockets/`);
    await showsText(page, alice.id);
    await lacksText(page, bob.id);

    const carol = await peer();
    peers.push(carol);
    await carol.timeout(5000).emitWithAck('enter', 'lobby');
    await showsText(page, carol.id);
    await page.goto(`${uiUrl}/#/`);
    // The dashboard's namespaces table comes from server_stats: alice and carol on '/', the UI itself on '/admin'.
    await page.waitForFunction(() => /(^|\n)\/\t2\n\/admin\t1(\n|$)/.test(document.body.innerText));
    await page.screenshot({ path: screenshot });
    const dashboard = await page.evaluate(() => document.body.innerText);
    console.log(JSON.stringify({ ok: true, answer, alice: alice.id, bob: bob.id, dashboard }));
  } catch (err) {
    if (page) await page.screenshot({ path: `${screenshot}.failed.png` }).catch(() => {});
    throw err;
  } finally {
    peers.forEach((p) => p.disconnect());
    await browser.close();
  }
}

const guard = setTimeout(() => { console.error('admin_ui_browser: timed out'); process.exit(3); }, 90000);
main().then(() => { clearTimeout(guard); }, (err) => { console.error(`admin_ui_browser: ${err.stack || err}`); process.exit(2); });
