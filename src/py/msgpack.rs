//! Conversions between msgpack payloads and Python objects (`serializer='msgpack'`), in one pass each way.
//!
//! Python to wire: the same values `msgpack.dumps` accepts by default are written straight from the Python objects
//! with `rmp` (None, bool, int within 64 bits, float, str, bytes-likes as `bin`, list and tuple as arrays, dict as
//! a map); anything else raises `TypeError`, as msgpack does. Wire to Python: a packet's data, which the engine
//! already checked (see `protocol::socketio::msgpack`), is read with `rmpv` and built as the objects python-socketio
//! hands out: dict, list, str, int, float, bool, None and bytes. `notepack.io`'s `undefined` becomes None and its
//! `ArrayBuffer` (extension type 0) becomes bytes.

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple};
use rmpv::ValueRef;

use super::convert::Encoded;
use crate::protocol::socketio::msgpack::is_undefined;

/// Nesting deeper than this is refused (msgpack refuses circular structures the same way).
const MAX_DEPTH: usize = 256;

fn write(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err("recursion limit exceeded"));
    }
    // Writing into a Vec cannot fail: the results of `rmp::encode` are ignored.
    if let Ok(s) = obj.cast::<PyString>() {
        let _ = rmp::encode::write_str(out, &s.to_cow()?);
    } else if obj.is_none() {
        let _ = rmp::encode::write_nil(out);
    } else if let Ok(b) = obj.cast::<PyBool>() {
        let _ = rmp::encode::write_bool(out, b.is_true());
    } else if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(n) = i.extract::<i64>() {
            let _ = rmp::encode::write_sint(out, n);
        } else if let Ok(n) = i.extract::<u64>() {
            let _ = rmp::encode::write_uint(out, n);
        } else {
            return Err(PyOverflowError::new_err("Integer value out of range"));
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        let _ = rmp::encode::write_f64(out, f.value());
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let _ = rmp::encode::write_map_len(out, len_u32(d.len())?);
        for (key, value) in d.iter() {
            write(out, &key, depth + 1)?;
            write(out, &value, depth + 1)?;
        }
    } else if let Ok(l) = obj.cast::<PyList>() {
        let _ = rmp::encode::write_array_len(out, len_u32(l.len())?);
        for item in l.iter() {
            write(out, &item, depth + 1)?;
        }
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        let _ = rmp::encode::write_array_len(out, len_u32(t.len())?);
        for item in t.iter() {
            write(out, &item, depth + 1)?;
        }
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        write_bin(out, b.as_bytes())?;
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        write_bin(out, &b.to_vec())?;
    } else if obj.cast::<PyMemoryView>().is_ok() {
        let bytes = obj.call_method0("tobytes")?;
        write_bin(out, bytes.cast::<PyBytes>()?.as_bytes())?;
    } else {
        let name = obj.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string());
        return Err(PyTypeError::new_err(format!("can not serialize '{name}' object")));
    }
    Ok(())
}

fn len_u32(len: usize) -> PyResult<u32> {
    u32::try_from(len).map_err(|_| PyValueError::new_err("too large to serialize as msgpack"))
}

fn write_bin(out: &mut Vec<u8>, data: &[u8]) -> PyResult<()> {
    len_u32(data.len())?;
    let _ = rmp::encode::write_bin(out, data);
    Ok(())
}

fn finish(out: Vec<u8>) -> Encoded {
    // `Encoded::json` holds the msgpack bytes here; msgpack carries binary inline, so there are no attachments.
    Encoded {
        json: out,
        attachments: Vec::new(),
    }
}

/// Serialise `[event, *args]`, the data of an EVENT packet.
pub fn encode_event(event: &Bound<'_, PyAny>, args: &Bound<'_, PyTuple>) -> PyResult<Encoded> {
    let mut out = Vec::with_capacity(64);
    let _ = rmp::encode::write_array_len(&mut out, len_u32(args.len() + 1)?);
    write(&mut out, event, 1)?;
    for arg in args.iter() {
        write(&mut out, &arg, 1)?;
    }
    Ok(finish(out))
}

/// Serialise `[*args]`, the data of an ACK packet.
pub fn encode_args(args: &Bound<'_, PyTuple>) -> PyResult<Encoded> {
    let mut out = Vec::with_capacity(64);
    write(&mut out, args.as_any(), 0)?;
    Ok(finish(out))
}

/// Serialise one value (connect auth, connect refusal data).
pub fn encode_value(value: &Bound<'_, PyAny>) -> PyResult<Encoded> {
    let mut out = Vec::with_capacity(64);
    write(&mut out, value, 0)?;
    Ok(finish(out))
}

/// Build the Python objects for one msgpack value (a packet's data, checked by the engine).
pub fn decode<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let value = rmpv::decode::read_value_ref_with_max_depth(&mut &data[..], MAX_DEPTH)
        .map_err(|e| PyValueError::new_err(format!("invalid msgpack: {e}")))?;
    to_python(py, &value)
}

fn to_python<'py>(py: Python<'py>, value: &ValueRef<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        v if is_undefined(v) => py.None().into_bound(py),
        ValueRef::Boolean(b) => PyBool::new(py, *b).to_owned().into_any(),
        ValueRef::Integer(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            (None, None) => return Err(PyValueError::new_err("integer out of range")),
        },
        ValueRef::F32(f) => PyFloat::new(py, f64::from(*f)).into_any(),
        ValueRef::F64(f) => PyFloat::new(py, *f).into_any(),
        ValueRef::String(s) => PyString::new(
            py,
            s.as_str()
                .ok_or_else(|| PyValueError::new_err("invalid utf-8 in msgpack string"))?,
        )
        .into_any(),
        ValueRef::Binary(b) | ValueRef::Ext(0, b) => PyBytes::new(py, b).into_any(),
        ValueRef::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        ValueRef::Map(entries) => {
            let dict = PyDict::new(py);
            for (k, v) in entries {
                dict.set_item(to_python(py, k)?, to_python(py, v)?)?;
            }
            dict.into_any()
        }
        ValueRef::Ext(..) => return Err(PyValueError::new_err("unsupported msgpack extension type")),
        ValueRef::Nil => py.None().into_bound(py),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_values_round_trip_as_python_socketio_gives_them() {
        Python::initialize();
        Python::attach(|py| {
            for code in [
                "{'a': [1, -2, 2**64 - 1, -2**63, 2.5, None, True, 'x\\n\\u00e9'], 'b': b'\\x00\\xff', 'c': {}}",
                "[[], '', b'', 0.0]",
            ] {
                let value = py.eval(&std::ffi::CString::new(code).unwrap(), None, None).unwrap();
                let encoded = encode_value(&value).unwrap();
                assert!(encoded.attachments.is_empty());
                let back = decode(py, &encoded.json).unwrap();
                assert!(back.eq(&value).unwrap(), "{code} -> {back}");
            }
            let tuple = py
                .eval(c"(1, bytearray(b'ab'), memoryview(b'cd'))", None, None)
                .unwrap();
            let back = decode(py, &encode_value(&tuple).unwrap().json).unwrap();
            assert!(back.eq(py.eval(c"[1, b'ab', b'cd']", None, None).unwrap()).unwrap());
            let big = py.eval(c"2**64", None, None).unwrap();
            assert!(encode_value(&big).unwrap_err().is_instance_of::<PyOverflowError>(py));
            let bad = py.eval(c"object()", None, None).unwrap();
            assert!(encode_value(&bad).unwrap_err().is_instance_of::<PyTypeError>(py));
            let cyclic = PyList::empty(py);
            cyclic.append(&cyclic).unwrap();
            assert!(encode_value(&cyclic).unwrap_err().is_instance_of::<PyValueError>(py));
            // notepack.io's undefined and ArrayBuffer.
            assert!(
                decode(py, b"\x92\xd4\x00\x00\xc7\x02\x00ab")
                    .unwrap()
                    .eq(py.eval(c"[None, b'ab']", None, None).unwrap())
                    .unwrap()
            );
        });
    }
}
