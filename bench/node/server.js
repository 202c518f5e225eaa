// The benchmark app on socket.io (Node), with the same handlers as bench/app.py:
// echo acks its data, join enters room 'bench' and acks true, broadcast emits 'tick' with its data to the room,
// stats acks how many sockets and named rooms the server holds.
//
// Usage: node bench/node/server.js --port N [--pid-file PATH]
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const { Server } = require('socket.io');

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const port = Number(option('--port', '5000'));
const pidFile = option('--pid-file', null);
const ROOM = 'bench';

const httpServer = http.createServer();
const io = new Server(httpServer);

io.on('connection', (socket) => {
  socket.on('echo', (data, ack) => {
    if (typeof ack === 'function') ack(data);
  });
  socket.on('join', (...args) => {
    socket.join(ROOM);
    const ack = args[args.length - 1];
    if (typeof ack === 'function') ack(true);
  });
  socket.on('broadcast', (data) => {
    io.to(ROOM).emit('tick', data);
  });
  socket.on('stats', (ack) => {
    // Connected sockets of '/', and the rooms that are not a socket's own.
    const nsp = io.of('/');
    let rooms = 0;
    for (const room of nsp.adapter.rooms.keys()) {
      if (!nsp.sockets.has(room)) rooms += 1;
    }
    if (typeof ack === 'function') ack({ sockets: nsp.sockets.size, rooms });
  });
});

httpServer.listen(port, '127.0.0.1', () => {
  if (pidFile) {
    fs.writeFileSync(`${pidFile}.tmp`, String(process.pid));
    fs.renameSync(`${pidFile}.tmp`, pidFile);
  }
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
