# server.py
import turbosio as socketio
import eventlet
import eventlet.wsgi

# 创建 SocketIO 服务器，并指定 namespace
sio = socketio.Server()

# 定义连接事件
@sio.on('connect', namespace='/chat')
def connect(sid, environ):
    print('Client connected to /chat:', sid)

# 定义加入房间事件
@sio.on('join_room', namespace='/chat')
def join_room(sid, data):
    room = data['room']
    sio.enter_room(sid, room, namespace='/chat')
    print(f'Client {sid} joined room {room}')
    sio.emit('room_message', {'data': f'{sid} has joined the room {room}'}, room=room, namespace='/chat')

# 定义消息事件
@sio.on('message', namespace='/chat')
def message(sid, data):
    room = data['room']
    print(f'Message from {sid} in room {room}: {data["data"]}')
    sio.emit('response', {'data': f'Server received: {data["data"]}'}, room=room, namespace='/chat')

@sio.on("message", namespace="/test")
def test(sid, data):
    print(f"Test message received: {data}")

# 定义断开连接事件
@sio.on('disconnect', namespace='/chat')
def disconnect(sid):
    print('Client disconnected from /chat:', sid)

# 创建 WSGI 应用
app = socketio.WSGIApp(sio)

# 启动服务器
if __name__ == '__main__':
    eventlet.wsgi.server(eventlet.listen(('localhost', 5000)), app)
