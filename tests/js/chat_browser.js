// Drives the chat demo in headless Chromium: two pages join one room and each must see the other's message.
// Usage: node tests/js/chat_browser.js <url> <chromium path>; prints one JSON line, exits non-zero on failure.
'use strict';

const { chromium } = require('playwright-core');

const [url, executablePath] = process.argv.slice(2);
const TIMEOUT = 15000;

async function join(browser, name) {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(url);
  await page.fill('#name', name);
  await page.fill('#room', 'lobby');
  await page.click('#join button');
  await page.waitForFunction(() => document.body.dataset.room === 'lobby');
  return page;
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

async function sees(page, line) {
  await page.waitForFunction((expected) => [...document.querySelectorAll('#log p')].some((p) => p.textContent === expected), line);
}

async function main() {
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const alice = await join(browser, 'alice');
    const bob = await join(browser, 'bob');
    await sees(alice, '*: bob joined lobby');
    await say(alice, 'hello bob');
    await say(bob, 'hi alice');
    await sees(bob, 'alice: hello bob');
    await sees(alice, 'bob: hi alice');
    // Bob's own line comes back to him through the room too; read his log only once it has.
    await sees(bob, 'bob: hi alice');
    const transport = await alice.evaluate(() => socket.io.engine.transport.name);
    const log = await bob.evaluate(() => [...document.querySelectorAll('#log p')].map((p) => p.textContent));
    console.log(JSON.stringify({ ok: true, transport, bob_log: log }));
  } finally {
    await browser.close();
  }
}

const guard = setTimeout(() => { console.error('chat_browser: timed out'); process.exit(3); }, 60000);
main().then(() => { clearTimeout(guard); }, (err) => { console.error(`chat_browser: ${err.stack || err}`); process.exit(2); });
