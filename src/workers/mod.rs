//! What several worker processes serving one port share, beyond the sticky routing of requests (which is the
//! native driver's, `server/native/handover.rs`): the built-in broker that carries broadcasts between workers
//! when no Redis is configured.
//!
//! In: unix-socket connections from the workers' client managers. Out: their messages, fanned out. Never: Python,
//! or anything a single-process server pays for (nothing here runs unless workers are started).

pub mod broker;
