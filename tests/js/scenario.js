'use strict';
// Runs one named scenario against a Socket.IO server with the official socket.io-client and prints one JSON
// result line on stdout. Exit 0 on success; on error or timeout, a message on stderr and exit 2.
//
//   node tests/js/scenario.js <url> <scenario> [json-args]
//
// Bytes in results are written as {"$hex": "..."} so the python side can compare them exactly.

const { io } = require('socket.io-client');

const [, , url, name, rawArgs] = process.argv;
const args = rawArgs ? JSON.parse(rawArgs) : {};
const TIMEOUT_MS = args.timeout_ms || 15000;
const ACK_TIMEOUT_MS = 5000;
const sockets = [];

function fail(message) {
  process.stderr.write(`scenario ${name}: ${message}\n`);
  process.exit(2);
}

const overallTimer = setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS);

function open(namespace = '/', options = {}) {
  const socket = io(url + (namespace === '/' ? '' : namespace), {
    reconnection: false,
    forceNew: true,
    ...options,
  });
  sockets.push(socket);
  return socket;
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    if (socket.connected) {
      resolve(socket);
      return;
    }
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(new Error(`connect_error: ${err.message}`)));
  });
}

// Emit with an acknowledgement; resolves with the array of every ack argument.
function ack(socket, event, ...payload) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event} after ${ACK_TIMEOUT_MS} ms`)), ACK_TIMEOUT_MS);
    socket.emit(event, ...payload, (...response) => {
      clearTimeout(timer);
      resolve(response);
    });
  });
}

// Resolves with the array of arguments of the next `event`.
function next(socket, event) {
  return new Promise((resolve) => socket.once(event, (...received) => resolve(received)));
}

function jsonable(value) {
  if (Buffer.isBuffer(value)) return { $hex: value.toString('hex') };
  if (value instanceof ArrayBuffer) return { $hex: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(jsonable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonable(item)]));
  }
  return value;
}

const scenarios = {
  // One acked echo, then the transport the connection settles on (after its upgrade, when it may upgrade).
  async echo_transport({ payload, transports, path }) {
    const socket = await connected(open('/', { ...(transports ? { transports } : {}), ...(path ? { path } : {}) }));
    const echoed = await ack(socket, 'echo', payload);
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket' && (!transports || transports.includes('websocket'))) {
      await new Promise((resolve) => engine.once('upgrade', resolve));
    }
    const again = await ack(socket, 'echo', payload);
    return { ack: echoed, again, transport: engine.transport.name };
  },

  // Connect with auth, one acked echo.
  async auth_echo({ auth, payload }) {
    const socket = await connected(open('/', { auth }));
    return { id: socket.id, ack: await ack(socket, 'echo', payload) };
  },

  // Reports what a refused connection looks like to the client.
  async connect_error({ auth, namespace }) {
    const socket = open(namespace || '/', auth ? { auth } : {});
    return new Promise((resolve) => {
      socket.once('connect', () => resolve({ connected: true, id: socket.id }));
      socket.once('connect_error', (err) =>
        resolve({ connected: false, message: err.message, data: err.data === undefined ? null : err.data }),
      );
    });
  },

  // Three namespaces multiplexed on one connection (a single Manager), an echo on each.
  async namespaces({ token, payload }) {
    const main = io(url, { reconnection: false, forceNew: true });
    sockets.push(main);
    const chat = main.io.socket('/chat');
    const secret = main.io.socket('/private', { auth: { token } });
    sockets.push(chat, secret);
    // no chat.connect(): Manager.socket() connects by itself (autoConnect), a second call sends a second CONNECT
    await Promise.all([connected(main), connected(chat), connected(secret)]);
    const result = {};
    for (const [ns, socket] of [['/', main], ['/chat', chat], ['/private', secret]]) {
      result[ns] = { id: socket.id, ack: await ack(socket, 'echo', payload, ns), who: (await ack(socket, 'whoami'))[0] };
    }
    result.engines = new Set([main, chat, secret].map((s) => s.io.engine.id)).size;
    return result;
  },

  // A member and an outsider of `room`; the outsider sends to the room, then the server sends 'marker' to both.
  async rooms({ room, marker_room, msg }) {
    const member = await connected(open());
    const outsider = await connected(open());
    await ack(member, 'join', room);
    await ack(member, 'join', marker_room);
    await ack(outsider, 'join', marker_room);
    const got = { member: [], outsider: [] };
    const done = [];
    for (const [who, socket] of [['member', member], ['outsider', outsider]]) {
      socket.on('room_msg', (data) => got[who].push(data));
      done.push(next(socket, 'marker'));
    }
    const sent = await ack(outsider, 'to_room', { room, msg, marker_room });
    await Promise.all(done);
    return { sent, member_id: member.id, outsider_id: outsider.id, ...got };
  },

  // Bytes nested in objects and arrays, both ways.
  async binary() {
    const socket = await connected(open());
    const payload = {
      blob: Buffer.from([0, 1, 2, 255]),
      nested: { list: [Buffer.from('abc'), { deep: Buffer.alloc(0) }, 7] },
      text: 'plain',
    };
    const echoed = await ack(socket, 'binary_echo', payload);
    const pushed = next(socket, 'binary_from_server');
    socket.emit('binary_emit');
    return { ack: jsonable(echoed), pushed: jsonable(await pushed) };
  },

  // Unicode payloads and event names.
  async unicode({ text, event }) {
    const socket = await connected(open());
    return { echo: await ack(socket, 'echo', text, { [text]: text }), caught: await ack(socket, event, text) };
  },

  // transports: null (default: polling, then upgrade), ['polling'] or ['websocket'].
  async transport({ transports }) {
    const socket = await connected(open('/', transports ? { transports } : {}));
    const initial = socket.io.engine.transport.name;
    if (!transports && initial !== 'websocket') {
      await new Promise((resolve) => socket.io.engine.once('upgrade', resolve));
    }
    const echo = await ack(socket, 'echo', 'over the wire');
    const server = (await ack(socket, 'transport'))[0];
    return { initial, client: socket.io.engine.transport.name, server, echo };
  },

  // The server calls the client (sio.call) and reports the answer back with 'call_result'.
  async server_call({ question }) {
    const socket = await connected(open());
    socket.on('ask', (data, callback) => callback({ answer_to: data, from: 'node' }));
    const result = next(socket, 'call_result');
    socket.emit('call_client', question);
    return { result: (await result)[0] };
  },

  // n sequential acked echoes, then n concurrent ones; reports the ones that came back wrong.
  async many_acks({ n }) {
    const socket = await connected(open());
    const wrong = [];
    for (let i = 0; i < n; i += 1) {
      const [back] = await ack(socket, 'echo', { i, kind: 'sequential' });
      if (back.i !== i) wrong.push(back);
    }
    const concurrent = await Promise.all(Array.from({ length: n }, (_, i) => ack(socket, 'echo', { i, kind: 'concurrent' })));
    concurrent.forEach(([back], i) => {
      if (back.i !== i || back.kind !== 'concurrent') wrong.push(back);
    });
    return { sequential: n, concurrent: concurrent.length, wrong };
  },

  // The server disconnects the client; reports the reason the client was given.
  async server_disconnect() {
    const socket = await connected(open());
    const id = socket.id;
    const reason = next(socket, 'disconnect');
    socket.emit('server_disconnect');
    return { id, reason: (await reason)[0] };
  },

  // The client leaves one namespace (the connection stays up for the other), then closes everything.
  async client_disconnect() {
    const main = await connected(open());
    const chat = main.io.socket('/chat');
    sockets.push(chat);
    await connected(chat);
    const ids = { main: main.id, chat: chat.id };
    chat.disconnect();
    const still = await ack(main, 'echo', 'still here');
    return { ids, still };
  },
};

async function main() {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  const result = await scenario(args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main()
  .then(() => {
    clearTimeout(overallTimer);
    sockets.forEach((socket) => socket.disconnect());
    process.exit(0);
  })
  .catch((err) => fail(err && err.stack ? err.stack : String(err)));
