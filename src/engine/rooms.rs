//! Room membership in one process: [`RoomIndex`] for one namespace, and [`LocalAdapter`], the [`Adapter`] over
//! every namespace's sockets and rooms.
//!
//! A room is a named set of sockets. Every socket is also addressable through its own sid, but that implicit
//! room is not stored here: a sid-shaped target is resolved against the namespace's sockets directly, which saves
//! two map inserts per connection. `RoomIndex` keeps both directions (room -> members and member -> rooms) so
//! leaving all rooms on disconnect costs only the rooms that socket is in.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::adapter::{Adapter, Room, Target};
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

/// A namespace's sockets and rooms.
#[derive(Default)]
struct Namespace {
    sockets: HashSet<Sid>,
    rooms: RoomIndex,
}

/// The adapter of a single process: every namespace's sockets and their [`RoomIndex`].
#[derive(Default)]
pub struct LocalAdapter {
    namespaces: HashMap<Arc<str>, Namespace>,
}

#[cfg(any(test, fuzzing))]
impl LocalAdapter {
    /// For the interleaving driver's checks: how many namespaces have an entry, and every (namespace, sid) pair
    /// mentioned anywhere (as a socket, a room member, or a socket with joined rooms).
    pub fn inventory(&self) -> (usize, Vec<(Arc<str>, Sid)>) {
        let mut pairs = Vec::new();
        for (name, ns) in &self.namespaces {
            let in_rooms = ns.rooms.members.values().flatten().chain(ns.rooms.joined.keys());
            pairs.extend(ns.sockets.iter().chain(in_rooms).map(|sid| (name.clone(), *sid)));
        }
        (self.namespaces.len(), pairs)
    }
}

impl Adapter for LocalAdapter {
    fn add_socket(&mut self, namespace: &Arc<str>, sid: Sid) {
        self.namespaces
            .entry(namespace.clone())
            .or_default()
            .sockets
            .insert(sid);
    }

    fn remove_socket(&mut self, namespace: &str, sid: Sid) {
        if let Some(ns) = self.namespaces.get_mut(namespace) {
            ns.sockets.remove(&sid);
            ns.rooms.leave_all(sid);
            if ns.sockets.is_empty() && ns.rooms.is_empty() {
                self.namespaces.remove(namespace);
            }
        }
    }

    fn join(&mut self, namespace: &str, sid: Sid, room: &str) {
        if let Some(ns) = self.namespaces.get_mut(namespace) {
            ns.rooms.join(sid, room);
        }
    }

    fn leave(&mut self, namespace: &str, sid: Sid, room: &str) {
        if let Some(ns) = self.namespaces.get_mut(namespace) {
            ns.rooms.leave(sid, room);
        }
    }

    fn close_room(&mut self, namespace: &str, room: &str) {
        if let Some(ns) = self.namespaces.get_mut(namespace) {
            ns.rooms.close(room);
        }
    }

    fn room_counts(&self) -> Vec<(Arc<str>, usize)> {
        self.namespaces
            .iter()
            .map(|(name, ns)| (name.clone(), ns.rooms.members.len()))
            .collect()
    }

    fn rooms_of(&self, namespace: &str, sid: Sid) -> &[Room] {
        self.namespaces.get(namespace).map_or(&[], |ns| ns.rooms.rooms_of(sid))
    }

    fn recipients(&self, namespace: &str, target: Target<'_>, skip: &[Sid]) -> Vec<Sid> {
        let Some(ns) = self.namespaces.get(namespace) else {
            return Vec::new();
        };
        let mut out: Vec<Sid> = match target {
            Target::All => ns.sockets.iter().copied().collect(),
            Target::Rooms(rooms) => {
                let mut seen: HashSet<Sid> = HashSet::new();
                let mut out = Vec::new();
                for room in rooms {
                    if let Some(members) = ns.rooms.members(room) {
                        out.extend(
                            members
                                .iter()
                                .copied()
                                .filter(|sid| rooms.len() == 1 || seen.insert(*sid)),
                        );
                    } else if let Some(sid) = Sid::parse(room).filter(|sid| ns.sockets.contains(sid))
                        && (rooms.len() == 1 || seen.insert(sid))
                    {
                        out.push(sid);
                    }
                }
                out
            }
        };
        if !skip.is_empty() {
            out.retain(|sid| !skip.contains(sid));
        }
        out
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
