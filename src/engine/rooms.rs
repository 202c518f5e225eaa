//! Room membership for one namespace.
//!
//! A room is a named set of sockets. Every socket is also addressable through its own sid, but that implicit
//! room is not stored here: the engine resolves a sid-shaped target directly, which saves two map inserts per
//! connection. `RoomIndex` keeps both directions (room -> members and member -> rooms) so leaving all rooms on
//! disconnect costs only the rooms that socket is in.

use std::collections::{HashMap, HashSet};

use super::adapter::Room;
use super::sid::Sid;

/// Rooms of one namespace, both directions.
#[derive(Default)]
pub struct RoomIndex {
    members: HashMap<Room, HashSet<Sid>>,
    joined: HashMap<Sid, Vec<Room>>,
}

impl RoomIndex {
    /// Put `sid` in `room`. Joining twice is harmless.
    pub fn join(&mut self, sid: Sid, room: &str) {
        let room = self
            .members
            .get_key_value(room)
            .map_or_else(|| Room::from(room), |(k, _)| k.clone());
        if self.members.entry(room.clone()).or_default().insert(sid) {
            self.joined.entry(sid).or_default().push(room);
        }
    }

    /// Take `sid` out of `room`. Leaving a room one is not in is harmless.
    pub fn leave(&mut self, sid: Sid, room: &str) {
        if let Some(set) = self.members.get_mut(room) {
            set.remove(&sid);
            if set.is_empty() {
                self.members.remove(room);
            }
        }
        if let Some(rooms) = self.joined.get_mut(&sid) {
            rooms.retain(|r| &**r != room);
            if rooms.is_empty() {
                self.joined.remove(&sid);
            }
        }
    }

    /// Take `sid` out of every room (on disconnect).
    pub fn leave_all(&mut self, sid: Sid) {
        for room in self.joined.remove(&sid).unwrap_or_default() {
            if let Some(set) = self.members.get_mut(&room) {
                set.remove(&sid);
                if set.is_empty() {
                    self.members.remove(&room);
                }
            }
        }
    }

    /// Empty a room; returns who was in it.
    pub fn close(&mut self, room: &str) -> Vec<Sid> {
        let members: Vec<Sid> = self
            .members
            .remove(room)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        for sid in &members {
            if let Some(rooms) = self.joined.get_mut(sid) {
                rooms.retain(|r| &**r != room);
                if rooms.is_empty() {
                    self.joined.remove(sid);
                }
            }
        }
        members
    }

    /// The members of a room, if it exists.
    pub fn members(&self, room: &str) -> Option<&HashSet<Sid>> {
        self.members.get(room)
    }

    /// The rooms `sid` joined explicitly, in join order.
    pub fn rooms_of(&self, sid: Sid) -> &[Room] {
        self.joined.get(&sid).map_or(&[], Vec::as_slice)
    }

    /// Whether no room has members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_leave_and_close_keep_both_directions_in_step() {
        let mut idx = RoomIndex::default();
        let (a, b) = (Sid::random(), Sid::random());
        idx.join(a, "r1");
        idx.join(a, "r1");
        idx.join(b, "r1");
        idx.join(a, "r2");
        assert_eq!(idx.members("r1").map(HashSet::len), Some(2));
        assert_eq!(idx.rooms_of(a).iter().map(|r| &**r).collect::<Vec<_>>(), ["r1", "r2"]);
        idx.leave(a, "r1");
        assert_eq!(idx.rooms_of(a).len(), 1);
        let mut closed = idx.close("r1");
        closed.sort();
        assert_eq!(closed, vec![b]);
        assert!(idx.rooms_of(b).is_empty());
        idx.leave_all(a);
        assert!(idx.is_empty());
    }
}
