//! Fuzz what routes an Engine.IO request: the query string (`EioQuery::parse`), `route` for every method, and the
//! session and socket id parsers. Nothing may panic; a route that names a session names one whose id was in the
//! query, and an id that parses prints back as the same text.
#![no_main]

use _core::engine::{EioSid, Sid};
use _core::server::request::{EioQuery, Route, route};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(sid) = EioSid::parse(text) {
        assert_eq!(sid.as_str(), text);
    }
    if let Some(sid) = Sid::parse(text) {
        assert_eq!(sid.as_str(), text);
    }
    let query = EioQuery::parse(text);
    for method in ["GET", "POST", "OPTIONS", "PUT"] {
        for upgrade in [false, true] {
            let Ok(route) = route(method, &query, upgrade) else {
                continue;
            };
            if let Route::Upgrade(sid) | Route::Poll(sid) | Route::Post(sid) = route {
                assert_eq!(Some(sid.as_str()), query.sid);
            }
        }
    }
});
