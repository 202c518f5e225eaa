'use strict';
// Node's socket.io 4.8 server with socket.io-msgpack-parser, with the handlers of tests/msgpack_serializer/msgpack_app.py,
// for turbosio's msgpack clients (tests/msgpack_serializer/test_msgpack_client.py).
//
//   node tests/js/msgpack_server.js <port>

const http = require('http');
const { Server } = require('socket.io');
const parser = require('socket.io-msgpack-parser');

const port = Number(process.argv[2]);
const TYPES = {
  int: -5, big: 2 ** 53, float: 1.5, str: 'é', bytes: Buffer.from([0, 255]), none: null, list: [true, false],
};

const server = http.createServer();
const io = new Server(server, { parser, cors: { origin: '*' }, pingInterval: 2000, pingTimeout: 5000 });

for (const name of ['/', '/chat']) {
  const nsp = io.of(name);
  nsp.use((socket, next) => {
    const auth = socket.handshake.auth || {};
    if (auth.refuse) {
      const err = new Error('not welcome');
      err.data = { code: 4001 };
      return next(err);
    }
    return next();
  });
  nsp.on('connection', (socket) => {
    socket.emit('welcome', socket.handshake.auth);
    socket.on('echo', (...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
      socket.emit('echo_reply', ...args);
      if (ack) ack(...args);
    });
    socket.on('join', (room, ack) => {
      socket.join(room);
      if (ack) ack(true);
    });
    socket.on('shout', (room, payload, ack) => {
      nsp.to(room).emit('shouted', payload);
      if (ack) ack(true);
    });
    socket.on('types', (ack) => ack(TYPES));
  });
}

server.listen(port, '127.0.0.1');
