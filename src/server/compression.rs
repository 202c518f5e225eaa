//! Compression of long-polling responses (`http_compression`, `compression_threshold`).

use std::io::Write;

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};

/// When and how to compress polling responses.
#[derive(Clone, Copy, Debug)]
pub struct CompressionConfig {
    /// Whether to compress at all (python-engineio's `http_compression`).
    pub enabled: bool,
    /// Smallest body worth compressing, in bytes (`compression_threshold`).
    pub threshold: usize,
}

impl Default for CompressionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: 1024,
        }
    }
}

/// Compress `body` with the first of gzip or deflate that `accept_encoding` allows, if it is large enough.
/// Returns the `Content-Encoding` value and the compressed body.
pub fn compress(
    config: CompressionConfig,
    accept_encoding: Option<&str>,
    body: &[u8],
) -> Option<(&'static str, Vec<u8>)> {
    if !config.enabled || body.len() < config.threshold {
        return None;
    }
    let accepts = |name: &str| {
        accept_encoding.is_some_and(|header| {
            header.split(',').any(|item| {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or("").trim();
                let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
                coding.eq_ignore_ascii_case(name) && !refused
            })
        })
    };
    if accepts("gzip") {
        let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 2), Compression::fast());
        encoder.write_all(body).ok()?;
        return encoder.finish().ok().map(|out| ("gzip", out));
    }
    if accepts("deflate") {
        let mut encoder = DeflateEncoder::new(Vec::with_capacity(body.len() / 2), Compression::fast());
        encoder.write_all(body).ok()?;
        return encoder.finish().ok().map(|out| ("deflate", out));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::{DeflateDecoder, GzDecoder};

    use super::*;

    #[test]
    fn compresses_large_bodies_with_an_accepted_coding_only() {
        let body = vec![b'4'; 4096];
        let config = CompressionConfig::default();
        assert!(compress(config, Some("gzip"), b"small").is_none());
        assert!(compress(config, None, &body).is_none());
        assert!(compress(config, Some("br, gzip;q=0"), &body).is_none());
        assert!(
            compress(
                CompressionConfig {
                    enabled: false,
                    ..config
                },
                Some("gzip"),
                &body
            )
            .is_none()
        );
        let (coding, out) = compress(config, Some("br, gzip, deflate"), &body).unwrap();
        assert_eq!(coding, "gzip");
        let mut back = Vec::new();
        GzDecoder::new(out.as_slice()).read_to_end(&mut back).unwrap();
        assert_eq!(back, body);
        let (coding, out) = compress(config, Some("deflate"), &body).unwrap();
        assert_eq!(coding, "deflate");
        let mut back = Vec::new();
        DeflateDecoder::new(out.as_slice()).read_to_end(&mut back).unwrap();
        assert_eq!(back, body);
    }
}
