//! The safetensors reader for our networks' weights (built in or trained): bounded by the
//! file's own length, every entry checked before it is read, errors naming the tensor.

use std::collections::BTreeMap;

use super::error::WeightsError;

/// A parsed safetensors file (8-byte little-endian header length, JSON header, raw data) whose
/// tensors are read as little-endian `f32`. Entries of other dtypes are listed but give an error
/// when read.
#[derive(Debug, Clone)]
pub struct SafetensorsF32<'a> {
    data: &'a [u8],
    entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    start: usize,
    end: usize,
}

impl<'a> SafetensorsF32<'a> {
    /// Parses the header and checks every entry's byte range against the file.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WeightsError> {
        let len_bytes: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(WeightsError::TooShort { len: bytes.len() })?;
        let header_len = u64::from_le_bytes(len_bytes);
        let header_end = usize::try_from(header_len)
            .ok()
            .and_then(|n| n.checked_add(8))
            .filter(|&end| end <= bytes.len())
            .ok_or(WeightsError::HeaderPastEnd {
                header_len,
                len: bytes.len(),
            })?;
        let header: serde_json::Value =
            serde_json::from_slice(&bytes[8..header_end]).map_err(|e| {
                WeightsError::HeaderJson {
                    detail: e.to_string(),
                }
            })?;
        let header = header.as_object().ok_or(WeightsError::HeaderNotObject)?;
        let data = &bytes[header_end..];
        let mut entries = BTreeMap::new();
        for (name, info) in header {
            if name == "__metadata__" {
                continue;
            }
            let bad = |what: &str| WeightsError::Entry {
                name: name.clone(),
                what: what.to_string(),
            };
            let dtype = info
                .get("dtype")
                .and_then(|v| v.as_str())
                .ok_or_else(|| bad("no dtype"))?
                .to_string();
            let shape = info
                .get("shape")
                .and_then(|v| v.as_array())
                .ok_or_else(|| bad("no shape"))?
                .iter()
                .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| bad("shape is not a list of sizes"))?;
            let offsets = info
                .get("data_offsets")
                .and_then(|v| v.as_array())
                .filter(|a| a.len() == 2)
                .and_then(|a| {
                    let s = usize::try_from(a[0].as_u64()?).ok()?;
                    let e = usize::try_from(a[1].as_u64()?).ok()?;
                    Some((s, e))
                })
                .ok_or_else(|| bad("data_offsets is not a pair of offsets"))?;
            let (start, end) = offsets;
            if start > end || end > data.len() {
                return Err(bad(&format!(
                    "data bytes {start}..{end} lie outside the {}-byte data section (truncated file?)",
                    data.len()
                )));
            }
            entries.insert(
                name.clone(),
                Entry {
                    dtype,
                    shape,
                    start,
                    end,
                },
            );
        }
        Ok(SafetensorsF32 { data, entries })
    }

    /// Names of all tensors in the file, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Shape of tensor `name`, if present.
    pub fn shape(&self, name: &str) -> Option<&[usize]> {
        self.entries.get(name).map(|e| e.shape.as_slice())
    }

    /// Tensor `name` as `(shape, values)` (row-major).
    pub fn get(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), WeightsError> {
        let e = self
            .entries
            .get(name)
            .ok_or_else(|| WeightsError::Missing { name: name.into() })?;
        if e.dtype != "F32" {
            return Err(WeightsError::Dtype {
                name: name.into(),
                dtype: e.dtype.clone(),
            });
        }
        let count: usize = e.shape.iter().product();
        let bytes = &self.data[e.start..e.end];
        if bytes.len() != count * 4 {
            return Err(WeightsError::Size {
                name: name.into(),
                shape: e.shape.clone(),
                need: count * 4,
                have: bytes.len(),
            });
        }
        let values = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok((e.shape.clone(), values))
    }

    /// Tensor `name`, which must have exactly shape `expected`.
    pub fn get_shaped(&self, name: &str, expected: &[usize]) -> Result<Vec<f32>, WeightsError> {
        let (shape, values) = self.get(name)?;
        if shape != expected {
            return Err(WeightsError::Shape {
                name: name.into(),
                shape,
                expected: expected.to_vec(),
            });
        }
        Ok(values)
    }
}
