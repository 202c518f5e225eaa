//! What an HTTP request to the Engine.IO path asks for, decided from its method, query and headers alone.
//!
//! Both drivers (native hyper and ASGI) route with this, so they answer the same requests the same way.

use crate::engine::{EioSid, SessionError, Transport};

/// What the request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// spec: no sid: open a session on this transport.
    Handshake(Transport),
    /// A long-polling GET.
    Poll(EioSid),
    /// A long-polling POST.
    Post(EioSid),
    /// A WebSocket for an existing polling session (the upgrade).
    Upgrade(EioSid),
    /// A CORS preflight.
    Preflight,
}

/// A request refused before it reaches the engine, with the Engine.IO error code Node's server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// `transport` missing or not one the server knows.
    #[error("Transport unknown")]
    TransportUnknown,
    /// A sid that names no session.
    #[error("Session ID unknown")]
    SessionIdUnknown,
    /// A handshake with a method other than GET.
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// Anything else malformed: wrong method, a WebSocket transport without the upgrade headers, a session on
    /// another transport, too large a body.
    #[error("Bad request")]
    BadRequest,
    /// The origin is not allowed by CORS.
    #[error("Forbidden")]
    Forbidden,
    /// `EIO` is not 4.
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
}

impl RequestError {
    /// Node's numeric error code.
    pub fn code(self) -> u8 {
        match self {
            Self::TransportUnknown => 0,
            Self::SessionIdUnknown => 1,
            Self::BadHandshakeMethod => 2,
            Self::BadRequest => 3,
            Self::Forbidden => 4,
            Self::UnsupportedProtocolVersion => 5,
        }
    }

    /// The HTTP status that carries it.
    pub fn status(self) -> u16 {
        if self == Self::Forbidden { 403 } else { 400 }
    }

    /// The JSON body: `{"code":N,"message":"..."}`.
    pub fn body(self) -> String {
        format!("{{\"code\":{},\"message\":\"{self}\"}}", self.code())
    }
}

impl From<&SessionError> for RequestError {
    /// The error a client sees when the engine refuses its HTTP request.
    fn from(err: &SessionError) -> Self {
        match err {
            SessionError::UnknownSession => Self::SessionIdUnknown,
            SessionError::TransportNotAllowed => Self::TransportUnknown,
            _ => Self::BadRequest,
        }
    }
}

/// The Engine.IO query parameters a route depends on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EioQuery<'a> {
    /// `EIO`.
    pub eio: Option<&'a str>,
    /// `transport`.
    pub transport: Option<&'a str>,
    /// `sid`.
    pub sid: Option<&'a str>,
}

impl<'a> EioQuery<'a> {
    /// Read the parameters from a raw query string (`a=1&b=2`). These three are never percent-encoded by clients.
    pub fn parse(query: &'a str) -> Self {
        let mut out = Self::default();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "EIO" => out.eio = Some(value),
                "transport" => out.transport = Some(value),
                "sid" => out.sid = Some(value),
                _ => {}
            }
        }
        out
    }
}

/// Decide the route of a request to the Engine.IO path.
pub fn route(method: &str, query: &EioQuery<'_>, is_websocket_upgrade: bool) -> Result<Route, RequestError> {
    if method == "OPTIONS" {
        return Ok(Route::Preflight);
    }
    if query.eio != Some("4") {
        return Err(RequestError::UnsupportedProtocolVersion);
    }
    let transport = match query.transport {
        Some("polling") => Transport::Polling,
        Some("websocket") => Transport::WebSocket,
        _ => return Err(RequestError::TransportUnknown),
    };
    if transport == Transport::WebSocket && !is_websocket_upgrade {
        return Err(RequestError::BadRequest);
    }
    let Some(sid) = query.sid else {
        if method != "GET" {
            return Err(RequestError::BadHandshakeMethod);
        }
        return Ok(Route::Handshake(transport));
    };
    let sid = EioSid::parse(sid).ok_or(RequestError::SessionIdUnknown)?;
    match (transport, method) {
        (Transport::WebSocket, "GET") => Ok(Route::Upgrade(sid)),
        (Transport::Polling, "GET") => Ok(Route::Poll(sid)),
        (Transport::Polling, "POST") => Ok(Route::Post(sid)),
        _ => Err(RequestError::BadRequest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, query: &str, ws: bool) -> Result<Route, RequestError> {
        route(method, &EioQuery::parse(query), ws)
    }

    #[test]
    fn routes_follow_the_spec() {
        let sid = EioSid::random();
        assert_eq!(
            r("GET", "EIO=4&transport=polling&t=x", false),
            Ok(Route::Handshake(Transport::Polling))
        );
        assert_eq!(
            r("GET", "EIO=4&transport=websocket", true),
            Ok(Route::Handshake(Transport::WebSocket))
        );
        assert_eq!(
            r("GET", &format!("EIO=4&transport=polling&sid={sid}"), false),
            Ok(Route::Poll(sid))
        );
        assert_eq!(
            r("POST", &format!("EIO=4&transport=polling&sid={sid}"), false),
            Ok(Route::Post(sid))
        );
        assert_eq!(
            r("GET", &format!("EIO=4&transport=websocket&sid={sid}"), true),
            Ok(Route::Upgrade(sid))
        );
        assert_eq!(r("OPTIONS", "", false), Ok(Route::Preflight));
    }

    #[test]
    fn bad_requests_get_nodes_codes() {
        assert_eq!(
            r("GET", "EIO=3&transport=polling", false),
            Err(RequestError::UnsupportedProtocolVersion)
        );
        assert_eq!(
            r("GET", "transport=polling", false),
            Err(RequestError::UnsupportedProtocolVersion)
        );
        assert_eq!(
            r("GET", "EIO=4&transport=carrier-pigeon", false),
            Err(RequestError::TransportUnknown)
        );
        assert_eq!(
            r("POST", "EIO=4&transport=polling", false),
            Err(RequestError::BadHandshakeMethod)
        );
        assert_eq!(
            r("GET", "EIO=4&transport=polling&sid=nope", false),
            Err(RequestError::SessionIdUnknown)
        );
        assert_eq!(
            r("GET", "EIO=4&transport=websocket", false),
            Err(RequestError::BadRequest)
        );
        let sid = EioSid::random();
        assert_eq!(
            r("PUT", &format!("EIO=4&transport=polling&sid={sid}"), false),
            Err(RequestError::BadRequest)
        );
        assert_eq!(
            RequestError::TransportUnknown.body(),
            "{\"code\":0,\"message\":\"Transport unknown\"}"
        );
    }
}
