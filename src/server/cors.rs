//! Cross-origin checks for the Engine.IO endpoint (`cors_allowed_origins`, `cors_credentials`).

/// Which origins may talk to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsPolicy {
    /// compat: python-engineio's default (`cors_allowed_origins=None`): only the server's own origin.
    SameOrigin,
    /// `'*'`: every origin.
    Any,
    /// An explicit list of origins.
    List(Vec<String>),
    /// `[]`: no checks and no CORS headers (a proxy in front handles CORS).
    Disabled,
}

/// The outcome of checking one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsDecision {
    /// Serve it; echo this origin in `Access-Control-Allow-Origin` when there is one.
    Allow(Option<String>),
    /// Refuse it with 400 "Not an accepted origin."
    Refuse,
}

impl CorsPolicy {
    /// Check a request's `Origin` against the policy. `host` is the request's Host header, `secure` whether it came
    /// over TLS, both used by [`CorsPolicy::SameOrigin`].
    pub fn check(&self, origin: Option<&str>, host: Option<&str>, secure: bool) -> CorsDecision {
        let Some(origin) = origin else {
            return CorsDecision::Allow(None);
        };
        let allowed = match self {
            Self::Disabled => return CorsDecision::Allow(None),
            Self::Any => true,
            Self::List(list) => list.iter().any(|o| o == origin),
            Self::SameOrigin => host.is_some_and(|host| {
                let scheme = if secure { "https://" } else { "http://" };
                origin.strip_prefix(scheme) == Some(host)
            }),
        };
        if allowed {
            CorsDecision::Allow(Some(origin.to_owned()))
        } else {
            CorsDecision::Refuse
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let o = Some("http://a.example");
        assert_eq!(
            CorsPolicy::Any.check(o, None, false),
            CorsDecision::Allow(Some("http://a.example".into()))
        );
        assert_eq!(CorsPolicy::Disabled.check(o, None, false), CorsDecision::Allow(None));
        assert_eq!(
            CorsPolicy::SameOrigin.check(o, Some("a.example"), false),
            CorsDecision::Allow(o.map(Into::into))
        );
        assert_eq!(
            CorsPolicy::SameOrigin.check(o, Some("b.example"), false),
            CorsDecision::Refuse
        );
        assert_eq!(
            CorsPolicy::SameOrigin.check(o, Some("a.example"), true),
            CorsDecision::Refuse
        );
        let list = CorsPolicy::List(vec!["http://b.example".into()]);
        assert_eq!(list.check(o, None, false), CorsDecision::Refuse);
        assert_eq!(list.check(None, None, false), CorsDecision::Allow(None));
    }
}
