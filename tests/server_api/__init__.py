"""The Socket.IO and Engine.IO server API as users see it: connect, events, acks, rooms, limits, transports."""
