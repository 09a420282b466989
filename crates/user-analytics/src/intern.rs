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

    /// The state through the splitmix64 finaliser: the multiply-rotate state's low bits depend
    /// only on the inputs' low bits, and the hash table indexes buckets by the low bits.
    #[inline]
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Dense ids for distinct strings, in first-seen order.
///
/// An open-addressing table (linear probing, at most half full) whose slots hold the hash, the
/// length and the first 16 bytes of their string next to its id. A lookup of a short string
/// (user ids, event names) is decided within the slot, without following a pointer to the
/// string: at millions of lookups over hundreds of thousands of users, that saves a cache
/// miss per lookup.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    slots: Vec<Slot>,
    names: Vec<Box<str>>,
}

const EMPTY: u32 = u32::MAX;
const PREFIX: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    id: u32,
    len: u32,
    prefix: [u8; PREFIX],
}

const VACANT: Slot = Slot {
    hash: 0,
    id: EMPTY,
    len: 0,
    prefix: [0; PREFIX],
};

#[inline]
fn prefix_of(b: &[u8]) -> [u8; PREFIX] {
    let mut p = [0u8; PREFIX];
    let n = b.len().min(PREFIX);
    p[..n].copy_from_slice(&b[..n]);
    p
}

#[inline]
fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(b);
    h.write_usize(b.len());
    h.finish()
}

impl Interner {
    /// The slot index holding `s` (hash `h`), or the vacant slot where it would go.
    #[inline]
    fn find(&self, s: &str, h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let b = s.as_bytes();
        let prefix = prefix_of(b);
        let mut i = h as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.id == EMPTY {
                return i;
            }
            if slot.hash == h
                && slot.len as usize == b.len()
                && slot.prefix == prefix
                && (b.len() <= PREFIX
                    || self.names.get(slot.id as usize).is_some_and(|n| **n == *s))
            {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(16);
        let mut slots = vec![VACANT; cap];
        for slot in self.slots.iter().filter(|s| s.id != EMPTY) {
            let mut i = slot.hash as usize & (cap - 1);
            while slots[i].id != EMPTY {
                i = (i + 1) & (cap - 1);
            }
            slots[i] = *slot;
        }
        self.slots = slots;
    }

    /// The id of `s`, adding it if new. `what` names the dictionary in the overflow error.
    #[inline]
    pub(crate) fn intern(&mut self, s: &str, what: &'static str) -> Result<u32> {
        if (self.names.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let h = hash_bytes(s.as_bytes());
        let i = self.find(s, h);
        if self.slots[i].id != EMPTY {
            return Ok(self.slots[i].id);
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
        self.slots[i] = Slot {
            hash: h,
            id,
            len: s.len() as u32,
            prefix: prefix_of(s.as_bytes()),
        };
        Ok(id)
    }

    /// The id of `s`, if interned.
    #[inline]
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let id = self.slots[self.find(s, hash_bytes(s.as_bytes()))].id;
        (id != EMPTY).then_some(id)
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

    /// Heap bytes: the strings, the list of them and the table.
    pub(crate) fn memory_bytes(&self) -> usize {
        let text: usize = self.names.iter().map(|s| s.len()).sum();
        text + self.names.capacity() * std::mem::size_of::<Box<str>>()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
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
        // Long strings sharing a 16-byte prefix, through several growths of the table.
        let long: Vec<String> = (0..1000)
            .map(|k| format!("a-very-long-common-prefix-{k}"))
            .collect();
        for (k, s) in long.iter().enumerate() {
            assert_eq!(i.intern(s, "names").unwrap(), k as u32 + 2);
        }
        for (k, s) in long.iter().enumerate() {
            assert_eq!(i.get(s), Some(k as u32 + 2));
        }
        assert_eq!(i.get("a-very-long-common-prefix-1000"), None);
        assert_eq!(i.len(), 1002);
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
