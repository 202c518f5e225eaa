'use strict';
// socket.io-client 4.8 with socket.io-msgpack-parser against a msgpack server (tests/msgpack_serializer/msgpack_app.py).
//
//   node tests/js/msgpack_client.js <url> <transport>
//
// Prints one JSON line: what came back, with Buffers as {"$hex": "..."}.

const { io } = require('socket.io-client');
const parser = require('socket.io-msgpack-parser');

const [url, transport] = process.argv.slice(2);
const TIMEOUT_MS = 5000;

function printable(value) {
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (v && v.type === 'Buffer' && Array.isArray(v.data)) {
        return { $hex: Buffer.from(v.data).toString('hex') };
      }
      return v;
    }),
  );
}

function connect(nsp, auth) {
  return io(url + nsp, { parser, transports: [transport], auth, forceNew: true, reconnection: false });
}

function once(socket, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    socket.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

async function main() {
  const result = {};
  const socket = connect('/chat', { token: 'abc' });
  result.welcome = await once(socket, 'welcome');
  const payload = { blob: Buffer.from([0, 1, 254, 255]), nested: [Buffer.alloc(0), { n: -1.5 }], text: 'é' };
  const reply = once(socket, 'echo_reply');
  result.ack = await socket.timeout(TIMEOUT_MS).emitWithAck('echo', payload, 7);
  result.pushed = await reply;
  result.types = await socket.timeout(TIMEOUT_MS).emitWithAck('types');
  socket.disconnect();

  const refused = connect('/', { refuse: true });
  const [err] = await once(refused, 'connect_error');
  result.refused = { message: err.message, data: err.data };
  refused.disconnect();
  process.stdout.write(JSON.stringify(printable(result)) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
