//! The server a client connects to, from the URL the user gave, and the Engine.IO URLs built on it.

/// Why a URL cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not `http`, `https`, `ws` or `wss`.
    #[error("unsupported URL scheme in {0:?}")]
    BadScheme(String),
    /// No host, or a port that is not a number.
    #[error("invalid URL {0:?}")]
    BadUrl(String),
}

/// A parsed server URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Whether the connection is TLS (`https`/`wss`).
    pub secure: bool,
    /// The host name or address, without brackets for IPv6.
    pub host: String,
    /// The port (the scheme's default when the URL has none).
    pub port: u16,
    /// The query string of the URL, without `?` (the user's own parameters).
    pub query: String,
}

impl Target {
    /// Parse `url`, as python-engineio does: only scheme, host, port and query matter; its path is replaced by the
    /// Engine.IO path.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| TargetError::BadUrl(url.to_owned()))?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => false,
            "https" | "wss" => true,
            _ => return Err(TargetError::BadScheme(url.to_owned())),
        };
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let authority = before_query.split(['/', '#']).next().unwrap_or_default();
        // Credentials are not sent; drop them.
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        let bad = || TargetError::BadUrl(url.to_owned());
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| bad())?,
            None if secure => 443,
            None => 80,
        };
        Ok(Target {
            secure,
            host: host.to_owned(),
            port,
            query: query.to_owned(),
        })
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.secure { 443 } else { 80 };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The request target (path and query) of an Engine.IO request on `path` for `transport`, with `sid` once known.
    pub fn request_path(&self, path: &str, transport: &str, sid: Option<&str>) -> String {
        let path = path.trim_matches('/');
        let mut out = format!("/{path}/?");
        if !self.query.is_empty() {
            out.push_str(&self.query);
            out.push('&');
        }
        out.push_str("transport=");
        out.push_str(transport);
        out.push_str("&EIO=4");
        if let Some(sid) = sid {
            out.push_str("&sid=");
            out.push_str(sid);
        }
        out
    }

    /// The full URL of a WebSocket request.
    pub fn websocket_url(&self, path: &str, sid: Option<&str>) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!(
            "{scheme}://{}{}",
            self.host_header(),
            self.request_path(path, "websocket", sid)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_python_engineio_accepts() {
        let t = Target::parse("http://localhost:5000/ignored?token=1").unwrap();
        assert_eq!(
            (t.secure, t.host.as_str(), t.port, t.query.as_str()),
            (false, "localhost", 5000, "token=1")
        );
        assert_eq!(
            t.request_path("socket.io", "polling", None),
            "/socket.io/?token=1&transport=polling&EIO=4"
        );
        let t = Target::parse("wss://[::1]").unwrap();
        assert_eq!((t.secure, t.host.as_str(), t.port), (true, "::1", 443));
        assert_eq!(
            t.websocket_url("/socket.io/", Some("abc")),
            "wss://[::1]/socket.io/?transport=websocket&EIO=4&sid=abc"
        );
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("http://:80").is_err());
        assert!(Target::parse("localhost:5000").is_err());
    }
}
