'use strict';
// socket.io-client (node) over TLS with its own TLS options, which tests/js/scenario.js does not pass on: connects,
// emits `echo` with an ack, and prints one JSON line {ack, transport}. Exit 2 with a message on stderr on failure.
//
//   node tests/tls/node_client.js <url> <json options for io()>

const path = require('path');
const { io } = require(path.join(__dirname, '..', 'js', 'node_modules', 'socket.io-client'));

const [, , url, rawOptions] = process.argv;
const fail = (message) => {
  process.stderr.write(`node_client: ${message}\n`);
  process.exit(2);
};
setTimeout(() => fail('timed out after 15 s'), 15000);

const socket = io(url, { reconnection: false, forceNew: true, ...JSON.parse(rawOptions || '{}') });
socket.once('connect_error', (err) => fail(`connect_error: ${err.message}`));
socket.once('connect', () => {
  socket.timeout(5000).emit('echo', 'over wss', (err, ack) => {
    if (err) fail(`no ack: ${err.message}`);
    process.stdout.write(`${JSON.stringify({ ack, transport: socket.io.engine.transport.name })}\n`);
    socket.close();
    process.exit(0);
  });
});
