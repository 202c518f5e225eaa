//! Hosting the web app beside Socket.IO: read the request (bounded), hand it to the [`WebApp`], stream its
//! answer back as it comes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::{Body, plain};
use crate::server::web::{MAX_WEB_BODY, WebApp, WebRequest, WebResponsePart};

/// The body of a web-app response: the chunks the app sends, until one says there is no more.
struct StreamedBody {
    parts: UnboundedReceiver<WebResponsePart>,
    done: bool,
}

impl hyper::body::Body for StreamedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.parts.poll_recv(cx) {
            Poll::Ready(Some(WebResponsePart::Body { data, more })) => {
                self.done = !more;
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            // A second start is the app's protocol error (reported in Python); the channel closing ends the body.
            Poll::Ready(Some(WebResponsePart::Start { .. }) | None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// ASGI's `path` is percent-decoded; undecodable input is kept as it came.
fn decode_path(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|c| char::from(*c).to_digit(16));
        if let (b'%', Some(hi), Some(lo)) = (b, hex(i + 1), hex(i + 2)) {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

pub(super) async fn serve(app: &dyn WebApp, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_WEB_BODY) {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
    }
    let Ok(body) = Limited::new(body, MAX_WEB_BODY)
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
    else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
    };
    let raw_path = parts.uri.path().to_owned();
    let request = WebRequest {
        method: parts.method.as_str().to_owned(),
        path: decode_path(&raw_path),
        raw_path,
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect(),
        body,
        remote: Some(peer),
    };
    let (respond, mut answer) = unbounded_channel();
    app.handle(request, respond);
    let Some(WebResponsePart::Start { status, headers }) = answer.recv().await else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let mut response = Response::new(
        StreamedBody {
            parts: answer,
            done: false,
        }
        .boxed(),
    );
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&name), HeaderValue::from_bytes(&value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::decode_path;

    #[test]
    fn paths_are_percent_decoded_and_bad_escapes_kept() {
        assert_eq!(decode_path("/a%20b/%C3%A9"), "/a b/é");
        assert_eq!(decode_path("/100%"), "/100%");
        assert_eq!(decode_path("/%zz"), "/%zz");
        assert_eq!(decode_path("/%ff"), "/%ff");
    }
}
