'use strict';
// The Socket.IO 4.8 server that the client tests (tests/client/) talk to: the same handlers as
// tests/apps/client_peer_app.py, so a client test means the same thing against Node, python-socketio and turbosio.
//
//   node tests/js/client_peer_server.js <port> [ping-interval-ms]
//
// It prints one JSON object per line on stdout (`{"ev": "connect", ...}`), as the python apps do.
// Bytes in printed facts are written as {"$hex": "..."}.

const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const pingInterval = Number(process.argv[3] || 2000);
const NAMESPACES = ['/', '/chat'];
const ASK_TIMEOUT_MS = 5000;

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

function report(fact) {
  process.stdout.write(JSON.stringify(printable(fact)) + '\n');
}

// The last argument of an event is the ack function when the client asked for one.
function splitAck(args) {
  if (args.length && typeof args[args.length - 1] === 'function') {
    return [args.slice(0, -1), args[args.length - 1]];
  }
  return [args, null];
}

const httpServer = http.createServer();
const io = new Server(httpServer, { pingInterval, pingTimeout: 5000, maxHttpBufferSize: 1e7 });

for (const name of NAMESPACES) {
  const nsp = io.of(name);
  nsp.use((socket, next) => {
    const auth = socket.handshake.auth || {};
    if (auth.refuse) {
      const err = new Error('not welcome');
      err.data = { code: 4001 };
      next(err);
      return;
    }
    next();
  });
  nsp.on('connection', (socket) => {
    report({
      ev: 'connect',
      ns: name,
      sid: socket.id,
      auth: socket.handshake.auth,
      transport: socket.conn.transport.name,
      x_test: socket.handshake.headers['x-test'] ?? null,
    });
    socket.on('echo', (...raw) => {
      const [args, ack] = splitAck(raw);
      socket.emit('echo_reply', ...args);
      if (ack) ack(...args);
    });
    socket.on('record', (...raw) => {
      const [args, ack] = splitAck(raw);
      report({ ev: 'record', ns: name, sid: socket.id, args });
      if (ack) ack('recorded');
    });
    // Asks the client `spec.event` with `spec.data` and acks the client's answer back.
    socket.on('ask', async (spec, ack) => {
      try {
        const answer = await socket.timeout(ASK_TIMEOUT_MS).emitWithAck(spec.event, spec.data);
        report({ ev: 'answer', ns: name, sid: socket.id, answer });
        ack(answer);
      } catch (err) {
        report({ ev: 'ask_failed', ns: name, sid: socket.id, error: String(err) });
      }
    });
    socket.on('burst', (n) => {
      for (let i = 0; i < n; i += 1) socket.emit('seq', i);
    });
    socket.on('disconnect_me', () => socket.disconnect());
    socket.on('disconnect', (reason) => report({ ev: 'disconnect', ns: name, sid: socket.id, reason }));
  });
}

httpServer.listen(port, '127.0.0.1', () => report({ ev: 'serving', how: 'node socket.io' }));
process.on('SIGTERM', () => process.exit(0));
