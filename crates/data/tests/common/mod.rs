//! Helpers shared by the integration tests: scratch directories and fixture files.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system's temp dir, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A new empty directory whose name contains `tag`, the process id and a counter.
    pub fn new(tag: &str) -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("youshi-data-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `bytes` to `name` in the directory and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fixture written by `tests/fixtures/<name>.py`: a JSON object whose values are (nested)
/// arrays of numbers, each flattened to its number tokens in order.
pub struct Fixture(HashMap<String, Vec<String>>);

impl Fixture {
    /// Reads `tests/fixtures/<name>.json`.
    pub fn load(name: &str) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        Fixture(parse(&text))
    }

    fn tokens(&self, key: &str) -> &[String] {
        self.0
            .get(key)
            .unwrap_or_else(|| panic!("fixture has no key {key:?}"))
    }

    /// The numbers under `key` as `f64`.
    pub fn f64s(&self, key: &str) -> Vec<f64> {
        self.tokens(key)
            .iter()
            .map(|t| t.parse().unwrap())
            .collect()
    }

    /// The numbers under `key` as exact `u64`s.
    pub fn u64s(&self, key: &str) -> Vec<u64> {
        self.tokens(key)
            .iter()
            .map(|t| t.parse().unwrap())
            .collect()
    }

    /// The numbers under `key` as `usize`s.
    pub fn usizes(&self, key: &str) -> Vec<usize> {
        self.tokens(key)
            .iter()
            .map(|t| t.parse().unwrap())
            .collect()
    }
}

/// Parses `{"key": [[1, 2], 3.5], ...}` into key -> number tokens.
fn parse(text: &str) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    let mut chars = text.chars().peekable();
    let mut key: Option<String> = None;
    let mut number = String::new();
    let mut values = Vec::new();
    let mut depth = 0;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut s = String::new();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    s.push(c);
                }
                key = Some(s);
            }
            '[' => depth += 1,
            ']' | ',' | '}' => {
                if !number.is_empty() {
                    values.push(std::mem::take(&mut number));
                }
                if c == ']' {
                    depth -= 1;
                    if depth == 0 {
                        let k = key.take().expect("an array follows a key");
                        out.insert(k, std::mem::take(&mut values));
                    }
                }
            }
            c if c.is_ascii_digit() || "+-.eE".contains(c) => number.push(c),
            _ => {}
        }
    }
    out
}
