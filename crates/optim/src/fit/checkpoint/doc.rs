//! The checkpoint's JSON document: its serde types, numbers as exact decimal strings, and
//! the FNV-1a checksum.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fit::SchedulerStep;

/// A number stored as a decimal string (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Num(pub(super) f64);

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:?}", self.0))
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<f64>()
            .map(Num)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a number")))
    }
}

pub(super) fn nums(m: &BTreeMap<String, f64>) -> BTreeMap<String, Num> {
    m.iter().map(|(k, &v)| (k.clone(), Num(v))).collect()
}

pub(super) fn floats(m: BTreeMap<String, Num>) -> BTreeMap<String, f64> {
    m.into_iter().map(|(k, v)| (k, v.0)).collect()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateDoc {
    pub(super) kind: String,
    pub(super) scalars: BTreeMap<String, Num>,
    pub(super) tensors: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SchedulerDoc {
    pub(super) kind: String,
    pub(super) step: SchedulerStep,
    pub(super) scalars: BTreeMap<String, Num>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RngDoc {
    pub(super) name: String,
    pub(super) seed: String,
    pub(super) stream: u64,
    pub(super) word_pos: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HistoryDoc {
    pub(super) epochs: Vec<usize>,
    pub(super) names: Vec<String>,
    pub(super) values: Vec<Vec<Num>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CallbackDoc {
    pub(super) scalars: BTreeMap<String, Num>,
    pub(super) tensors: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Doc {
    pub(super) format: String,
    pub(super) version: u32,
    pub(super) dtype: String,
    pub(super) epoch: usize,
    pub(super) seed: Option<u64>,
    pub(super) num_threads: usize,
    pub(super) model: Vec<String>,
    pub(super) optimizer: StateDoc,
    pub(super) scheduler: Option<SchedulerDoc>,
    pub(super) rngs: Vec<RngDoc>,
    pub(super) history: HistoryDoc,
    pub(super) callbacks: BTreeMap<String, CallbackDoc>,
    pub(super) checksums: BTreeMap<String, String>,
}

/// FNV-1a, 64-bit: a fast checksum that catches flipped and shifted bytes.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_exactly_through_strings() {
        for v in [
            0.1,
            1e-300,
            f64::MIN_POSITIVE,
            1.0 / 3.0,
            f64::NAN,
            f64::INFINITY,
            -0.0,
        ] {
            let s = serde_json::to_string(&Num(v)).unwrap();
            let back: Num = serde_json::from_str(&s).unwrap();
            assert_eq!(back.0.to_bits(), v.to_bits(), "{s}");
        }
        let e = serde_json::from_str::<Num>("\"abc\"").unwrap_err();
        assert!(e.to_string().contains("\"abc\" is not a number"));
    }

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn seeds_round_trip_through_hex() {
        let seed: [u8; 32] = std::array::from_fn(|i| (i * 37 % 256) as u8);
        assert_eq!(unhex32(&hex(&seed)), Some(seed));
        assert_eq!(unhex32("00"), None);
        assert_eq!(unhex32(&"zz".repeat(32)), None);
    }
}
