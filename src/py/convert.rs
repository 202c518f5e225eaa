//! Conversions between Socket.IO payloads and Python objects, in one pass each way.
//!
//! Wire to Python: the raw JSON of a packet is parsed straight into Python objects by jiter (no intermediate
//! `serde_json::Value`), then binary placeholders are swapped for `bytes` only when the packet had attachments.
//! Python to wire: a small serialiser writes JSON bytes directly from the Python objects and pulls `bytes`-like
//! values out as attachments, leaving `{"_placeholder":true,"num":n}` in their place. It accepts what `json.dumps`
//! accepts (dict, list, tuple, str, int, float, bool, None) plus bytes, bytearray and memoryview, and raises
//! `TypeError` for anything else, as `json.dumps` does.

use bytes::Bytes;
use jiter::{FloatMode, PartialMode, PythonParse, StringCacheMode};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple};

/// Serialised JSON with the binary parts taken out.
#[derive(Debug, Default)]
pub struct Encoded {
    /// The JSON text.
    pub json: Vec<u8>,
    /// Binary attachments, in placeholder `num` order.
    pub attachments: Vec<Bytes>,
}

/// Nesting deeper than this is refused (as `json.dumps` refuses circular structures).
const MAX_DEPTH: usize = 256;

struct Writer {
    out: Vec<u8>,
    attachments: Vec<Bytes>,
    depth: usize,
}

impl Writer {
    fn new() -> Self {
        Self {
            out: Vec::with_capacity(128),
            attachments: Vec::new(),
            depth: 0,
        }
    }

    fn finish(self) -> Encoded {
        Encoded {
            json: self.out,
            attachments: self.attachments,
        }
    }

    fn write(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(s) = obj.cast::<PyString>() {
            self.write_str(&s.to_cow().unwrap_or_else(|_| s.to_string_lossy()));
        } else if obj.is_none() {
            self.out.extend_from_slice(b"null");
        } else if let Ok(b) = obj.cast::<PyBool>() {
            self.out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
        } else if let Ok(i) = obj.cast::<PyInt>() {
            self.write_int(i)?;
        } else if let Ok(f) = obj.cast::<PyFloat>() {
            self.write_float(f.value());
        } else if let Ok(d) = obj.cast::<PyDict>() {
            self.nested(|w| w.write_dict(d))?;
        } else if let Ok(l) = obj.cast::<PyList>() {
            self.nested(|w| w.write_seq(l.iter()))?;
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            self.nested(|w| w.write_seq(t.iter()))?;
        } else if let Ok(b) = obj.cast::<PyBytes>() {
            self.write_attachment(Bytes::copy_from_slice(b.as_bytes()));
        } else if let Ok(b) = obj.cast::<PyByteArray>() {
            self.write_attachment(Bytes::from(b.to_vec()));
        } else if obj.cast::<PyMemoryView>().is_ok() {
            let bytes = obj.call_method0("tobytes")?;
            let bytes = bytes.cast::<PyBytes>()?;
            self.write_attachment(Bytes::copy_from_slice(bytes.as_bytes()));
        } else {
            let name = obj.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string());
            return Err(PyTypeError::new_err(format!(
                "Object of type {name} is not JSON serializable"
            )));
        }
        Ok(())
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self) -> PyResult<()>) -> PyResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PyValueError::new_err(
                "Circular reference detected (or nesting deeper than 256)",
            ));
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn write_seq<'py>(&mut self, items: impl Iterator<Item = Bound<'py, PyAny>>) -> PyResult<()> {
        self.out.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.write(&item)?;
        }
        self.out.push(b']');
        Ok(())
    }

    fn write_dict(&mut self, dict: &Bound<'_, PyDict>) -> PyResult<()> {
        self.out.push(b'{');
        for (i, (key, value)) in dict.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.write_key(&key)?;
            self.out.push(b':');
            self.write(&value)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// compat: `json.dumps` turns int, float, bool and None keys into strings and refuses other keys.
    fn write_key(&mut self, key: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(s) = key.cast::<PyString>() {
            self.write_str(&s.to_cow().unwrap_or_else(|_| s.to_string_lossy()));
            return Ok(());
        }
        let text = if key.is_none() {
            "null".to_owned()
        } else if let Ok(b) = key.cast::<PyBool>() {
            (if b.is_true() { "true" } else { "false" }).to_owned()
        } else if key.cast::<PyInt>().is_ok() || key.cast::<PyFloat>().is_ok() {
            let mut scratch = Writer::new();
            scratch.write(key)?;
            String::from_utf8_lossy(&scratch.out).into_owned()
        } else {
            let name = key.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string());
            return Err(PyTypeError::new_err(format!(
                "keys must be str, int, float, bool or None, not {name}"
            )));
        };
        self.write_str(&text);
        Ok(())
    }

    fn write_int(&mut self, i: &Bound<'_, PyInt>) -> PyResult<()> {
        if let Ok(v) = i.extract::<i64>() {
            self.out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        } else if let Ok(v) = i.extract::<u64>() {
            self.out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        } else {
            // Arbitrary precision: Python's own decimal text, as json.dumps writes it.
            let text = i.call_method0("__index__")?.str()?;
            self.out.extend_from_slice(text.to_cow()?.as_bytes());
        }
        Ok(())
    }

    /// compat: finite floats keep a fraction or exponent so they read back as floats; non-finite ones are written
    /// as `json.dumps` writes them.
    fn write_float(&mut self, v: f64) {
        if v.is_nan() {
            self.out.extend_from_slice(b"NaN");
        } else if v.is_infinite() {
            self.out
                .extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
        } else {
            self.out
                .extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
        }
    }

    fn write_attachment(&mut self, data: Bytes) {
        self.out.extend_from_slice(b"{\"_placeholder\":true,\"num\":");
        self.out
            .extend_from_slice(itoa::Buffer::new().format(self.attachments.len()).as_bytes());
        self.out.push(b'}');
        self.attachments.push(data);
    }

    fn write_str(&mut self, s: &str) {
        self.out.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.out.extend_from_slice(b"\\u00");
                self.out.push(HEX[usize::from(b >> 4)]);
                self.out.push(HEX[usize::from(b & 0xf)]);
            } else {
                self.out.extend_from_slice(escape);
            }
            start = i + 1;
        }
        self.out.extend_from_slice(bytes.get(start..).unwrap_or_default());
        self.out.push(b'"');
    }
}

/// Serialise `[event, *args]`, the data of an EVENT packet.
pub fn encode_event(event: &Bound<'_, PyAny>, args: &Bound<'_, PyTuple>) -> PyResult<Encoded> {
    let mut w = Writer::new();
    w.out.push(b'[');
    w.write(event)?;
    for arg in args.iter() {
        w.out.push(b',');
        w.write(&arg)?;
    }
    w.out.push(b']');
    Ok(w.finish())
}

/// Serialise `[*args]`, the data of an ACK packet.
pub fn encode_args(args: &Bound<'_, PyTuple>) -> PyResult<Encoded> {
    let mut w = Writer::new();
    w.write_seq(args.iter())?;
    Ok(w.finish())
}

/// Serialise one value (connect refusal data, a bare Engine.IO message).
pub fn encode_value(value: &Bound<'_, PyAny>) -> PyResult<Encoded> {
    let mut w = Writer::new();
    w.write(value)?;
    Ok(w.finish())
}

const PARSER: PythonParse = PythonParse {
    allow_inf_nan: true,
    cache_mode: StringCacheMode::Keys,
    partial_mode: PartialMode::Off,
    catch_duplicate_keys: false,
    float_mode: FloatMode::Float,
};

/// Parse packet JSON into Python objects, swapping placeholders for `bytes` when there are attachments.
pub fn decode<'py>(py: Python<'py>, json: &[u8], attachments: &[Bytes]) -> PyResult<Bound<'py, PyAny>> {
    let value = PARSER
        .python_parse(py, json)
        .map_err(|e| PyValueError::new_err(format!("invalid JSON: {e}")))?;
    if attachments.is_empty() {
        return Ok(value);
    }
    let blobs: Vec<Bound<'py, PyBytes>> = attachments.iter().map(|a| PyBytes::new(py, a)).collect();
    restore_binary(&value, &blobs, 0)
}

/// The attachment a placeholder object stands for, if `obj` is one: `_placeholder` exactly `true` and an integer
/// `num` in range (the same rule the engine validated the packet with).
fn placeholder<'py>(obj: &Bound<'py, PyDict>, blobs: &[Bound<'py, PyBytes>]) -> Option<Bound<'py, PyAny>> {
    if obj.len() != 2 {
        return None;
    }
    let flag = obj.get_item("_placeholder").ok()??;
    if !flag.cast::<PyBool>().is_ok_and(pyo3::types::PyBoolMethods::is_true) {
        return None;
    }
    let num: usize = obj.get_item("num").ok()??.extract().ok()?;
    blobs.get(num).map(|b| b.clone().into_any())
}

fn restore_binary<'py>(
    value: &Bound<'py, PyAny>,
    blobs: &[Bound<'py, PyBytes>],
    depth: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if depth > MAX_DEPTH {
        return Ok(value.clone());
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        if let Some(blob) = placeholder(dict, blobs) {
            return Ok(blob);
        }
        for (key, item) in dict.iter() {
            let restored = restore_binary(&item, blobs, depth + 1)?;
            if !restored.is(&item) {
                dict.set_item(key, restored)?;
            }
        }
    } else if let Ok(list) = value.cast::<PyList>() {
        for (i, item) in list.iter().enumerate() {
            let restored = restore_binary(&item, blobs, depth + 1)?;
            if !restored.is(&item) {
                list.set_item(i, restored)?;
            }
        }
    }
    Ok(value.clone())
}

#[cfg(test)]
mod tests {
    use pyo3::types::PyDictMethods;

    use super::*;

    fn roundtrip(py: Python<'_>, code: &str) -> (String, usize) {
        let value = py.eval(&std::ffi::CString::new(code).unwrap(), None, None).unwrap();
        let encoded = encode_value(&value).unwrap();
        let text = String::from_utf8(encoded.json.clone()).unwrap();
        let back = decode(py, &encoded.json, &encoded.attachments).unwrap();
        assert!(back.eq(&value).unwrap(), "{code} -> {text} -> {back}");
        (text, encoded.attachments.len())
    }

    #[test]
    fn json_matches_python_values_and_binary_round_trips() {
        Python::initialize();
        Python::attach(|py| {
            assert_eq!(
                roundtrip(py, "{'a': [1, 2.5, None, True, 'x\"\\n\\x01é']}").0,
                "{\"a\":[1,2.5,null,true,\"x\\\"\\n\\u0001é\"]}"
            );
            assert_eq!(roundtrip(py, "1.0").0, "1.0");
            assert_eq!(roundtrip(py, "2**70").0, "1180591620717411303424");
            assert_eq!(roundtrip(py, "{'f': b'\\x00\\x01', 'n': [b'z']}").1, 2);
            let dict = py.eval(c"{1: 'a', None: 'b'}", None, None).unwrap();
            assert_eq!(encode_value(&dict).unwrap().json, b"{\"1\":\"a\",\"null\":\"b\"}");
            let bad = py.eval(c"object()", None, None).unwrap();
            assert!(encode_value(&bad).unwrap_err().is_instance_of::<PyTypeError>(py));
            let cyclic = PyList::empty(py);
            cyclic.append(&cyclic).unwrap();
            assert!(encode_value(&cyclic).unwrap_err().is_instance_of::<PyValueError>(py));
            let d = PyDict::new(py);
            d.set_item("_placeholder", false).unwrap();
            d.set_item("num", 0).unwrap();
            let decoded = decode(py, b"[{\"_placeholder\":false,\"num\":0}]", &[Bytes::from_static(b"q")]).unwrap();
            assert!(
                decoded.get_item(0).unwrap().eq(&d).unwrap(),
                "not a placeholder unless exactly true"
            );
        });
    }
}
