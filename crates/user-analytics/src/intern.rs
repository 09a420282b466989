//! String interning and a fast non-cryptographic hasher for the event log's dictionaries.
//!
//! User ids, event names, property keys and string property values are stored once each and
//! referred to by dense `u32` ids. Lookups hash the borrowed `&str` first, so reading a row
//! whose values are already known allocates nothing.
//!
//! The hasher is the multiply-rotate scheme of the Firefox/rustc "Fx" hash: several times
//! faster than SipHash on the short keys of event logs. It is not resistant to collision
//! attacks, so a hostile input can slow interning down (never make it wrong).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::{AnalyticsError, Result};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A fast hasher for short keys (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Dense ids for distinct strings, in first-seen order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    map: FastMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// The id of `s`, adding it if new. `what` names the dictionary in the overflow error.
    #[inline]
    pub(crate) fn intern(&mut self, s: &str, what: &'static str) -> Result<u32> {
        if let Some(&id) = self.map.get(s) {
            return Ok(id);
        }
        let id = u32::try_from(self.names.len())
            .ok()
            .filter(|&id| id < u32::MAX)
            .ok_or_else(|| {
                AnalyticsError::invalid(
                    "build event log",
                    format!("more than {} distinct {what}", u32::MAX - 1),
                )
            })?;
        self.names.push(s.into());
        self.map.insert(s.into(), id);
        Ok(id)
    }

    /// The id of `s`, if interned.
    #[inline]
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.map.get(s).copied()
    }

    /// The string with id `id`, if any.
    #[inline]
    pub(crate) fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(|b| &**b)
    }

    /// How many strings are interned.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// All strings in id order.
    pub(crate) fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.names.iter().map(|b| &**b)
    }

    /// Approximate heap bytes: the strings twice (list and map keys), the list, and the map's
    /// buckets (key, value and one control byte each).
    pub(crate) fn memory_bytes(&self) -> usize {
        let text: usize = self.names.iter().map(|s| s.len()).sum();
        let bucket = std::mem::size_of::<(Box<str>, u32)>() + 1;
        2 * text
            + self.names.capacity() * std::mem::size_of::<Box<str>>()
            + self.map.capacity() * bucket
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn interner_assigns_dense_ids_in_first_seen_order() {
        let mut i = Interner::default();
        assert_eq!(i.intern("b", "names").unwrap(), 0);
        assert_eq!(i.intern("a", "names").unwrap(), 1);
        assert_eq!(i.intern("b", "names").unwrap(), 0);
        assert_eq!(i.get("a"), Some(1));
        assert_eq!(i.get("c"), None);
        assert_eq!(i.name(1), Some("a"));
        assert_eq!(i.name(2), None);
        assert_eq!(i.names().collect::<Vec<_>>(), ["b", "a"]);
        assert!(i.memory_bytes() >= 4);
    }

    #[test]
    fn hasher_separates_lengths_and_contents() {
        let b = BuildHasherDefault::<FastHasher>::default();
        let keys = ["", "a", "a\0", "ab", "abcdefgh", "abcdefghi", "abcdefgi"];
        let hashes: Vec<u64> = keys.iter().map(|k| b.hash_one(k)).collect();
        for i in 0..hashes.len() {
            for j in 0..i {
                assert_ne!(hashes[i], hashes[j], "{:?} {:?}", keys[i], keys[j]);
            }
        }
    }
}
