//! MNIST and the IDX reader: the bundled files, raw and gzipped copies, and every way a file
//! can be truncated or corrupt.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use common::{Fixture, Scratch};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use youshi_data::idx::read_idx_u8;
use youshi_data::mnist::{bundled_dir, Mnist};
use youshi_data::{DataError, Dataset, Pixels, Split};

const MNIST_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An IDX file: magic `00 00 08 ndim`, big-endian dims, data.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// Three 2 x 2 images and their labels.
fn tiny() -> (Vec<u8>, Vec<u8>) {
    (
        idx(&[3, 2, 2], &[0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        idx(&[3], &[4, 0, 9]),
    )
}

fn format_error(e: DataError) -> (String, u64, String) {
    match e {
        DataError::Format {
            path,
            offset,
            reason,
        } => (path.display().to_string(), offset, reason),
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn bundled_train_split_counts_labels_and_pixels() {
    let fx = Fixture::load("mnist");
    let start = Instant::now();
    let train = Mnist::load(MNIST_DIR, Split::Train).unwrap();
    let images = train.images::<f32>(Pixels::Unit);
    eprintln!("loaded 60k MNIST images as f32 in {:?}", start.elapsed());
    assert_eq!(train.len(), 60_000);
    assert_eq!((train.rows(), train.cols()), (28, 28));
    assert_eq!(
        train.label_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(train.label_counts().to_vec(), fx.usizes("train_counts"));
    assert_eq!(&train.labels()[..5], &[5, 0, 4, 1, 9]);
    assert_eq!(
        train.labels()[..10]
            .iter()
            .map(|&l| l as usize)
            .collect::<Vec<_>>(),
        fx.usizes("train_first_labels")
    );
    assert_eq!(
        train.label_indices()[59_995..].to_vec(),
        fx.usizes("train_last_labels")
    );
    let sums: Vec<u64> = (0..3)
        .map(|i| train.image(i).unwrap().iter().map(|&p| p as u64).sum())
        .collect();
    assert_eq!(sums, fx.u64s("train_pixel_sums_first3"));
    let all: u64 = train.pixels().iter().map(|&p| p as u64).sum();
    assert_eq!(vec![all], fx.u64s("train_pixel_sum_all"));
    assert!(train.image(60_000).is_none());

    assert_eq!(images.shape(), &[60_000, 1, 28, 28]);
    let row: Vec<f64> = (0..28)
        .map(|x| images.get(&[0, 0, 14, x]).unwrap() as f64 * 255.0)
        .map(f64::round)
        .collect();
    assert_eq!(row, fx.f64s("train_image0_row14"));
    let first = images.slice(0, 0, 1, 1).unwrap().to_vec();
    assert!(first.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(first.iter().cloned().fold(0.0f32, f32::max), 1.0);
    let targets = train.targets::<f32>();
    assert_eq!(targets.shape(), &[60_000]);
    assert_eq!(targets.to_vec()[..5], [5.0, 0.0, 4.0, 1.0, 9.0]);
}

#[test]
fn bundled_test_split_and_dataset_view() {
    let fx = Fixture::load("mnist");
    let test = Mnist::load(bundled_dir(), Split::Test).unwrap();
    assert_eq!(test.len(), 10_000);
    assert_eq!(
        test.label_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(test.label_counts().to_vec(), fx.usizes("test_counts"));
    assert_eq!(
        test.label_indices()[..10].to_vec(),
        fx.usizes("test_first_labels")
    );
    let data = test.to_dataset::<f64>(Pixels::Raw);
    assert_eq!(data.len(), 10_000);
    let (x, y) = data.get(0).unwrap();
    assert_eq!(x.shape(), &[1, 28, 28]);
    assert_eq!(y.item().unwrap(), 7.0);
    assert_eq!(x.sum_all(), fx.f64s("test_pixel_sums_first3")[0]);
}

#[test]
fn raw_copies_load_and_gzip_is_detected_by_content_not_name() {
    let dir = Scratch::new("mnist-raw");
    let images = gunzip(&bundled_dir().join("t10k-images-idx3-ubyte.gz"));
    let labels = gunzip(&bundled_dir().join("t10k-labels-idx1-ubyte.gz"));
    dir.write("t10k-images-idx3-ubyte", &images);
    dir.write("t10k-labels-idx1-ubyte", &labels);
    let raw = Mnist::load(dir.path(), Split::Test).unwrap();
    let gz = Mnist::load(bundled_dir(), Split::Test).unwrap();
    assert_eq!(raw, gz);

    // Gzipped content under the raw name, raw content under the .gz name.
    let swapped = Scratch::new("mnist-swapped");
    let (img, lab) = tiny();
    let a = swapped.write("images", &gzip(&img));
    let b = swapped.write("labels.gz", &lab);
    let m = Mnist::from_files(&a, &b).unwrap();
    assert_eq!(m.labels(), &[4, 0, 9]);
    assert_eq!(m.image(0).unwrap(), &[0, 255, 1, 2]);
    assert_eq!(
        m.images::<f32>(Pixels::Unit).to_vec()[..2],
        [0.0, 1.0],
        "pixels scale to [0, 1]"
    );
    assert!(read_idx_u8(&a, 3).unwrap().is_gzip());
    assert!(!read_idx_u8(&b, 1).unwrap().is_gzip());
}

#[test]
fn missing_files_are_named() {
    let dir = Scratch::new("mnist-missing");
    let e = Mnist::load(dir.path(), Split::Train).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DataError::NotFound { .. }), "{e:?}");
    assert!(msg.starts_with("load MNIST train split: "), "{msg}");
    assert!(
        msg.ends_with("none of train-images-idx3-ubyte, train-images-idx3-ubyte.gz exists"),
        "{msg}"
    );
    let e = Mnist::from_files(dir.path().join("nope"), dir.path().join("nope2")).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    assert!(e.to_string().starts_with("read IDX file: "), "{e}");
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn wrong_magic_numbers_are_rejected_at_byte_0() {
    let dir = Scratch::new("mnist-magic");
    let (img, lab) = tiny();
    let img_path = dir.write("images", &img);
    let lab_path = dir.write("labels", &lab);
    // A labels file where images are expected.
    let e = Mnist::from_files(&lab_path, &lab_path).unwrap_err();
    let (path, offset, reason) = format_error(e);
    assert!(path.ends_with("labels"));
    assert_eq!(offset, 0);
    assert_eq!(
        reason,
        "magic number 0x00000801 is not 0x00000803 (an IDX file of unsigned bytes with 3 \
         dimensions)"
    );
    // Another data type (0x0d, float) and random bytes.
    let mut float = img.clone();
    float[2] = 0x0d;
    let p = dir.write("float", &float);
    let e = Mnist::from_files(&p, &lab_path).unwrap_err();
    assert!(e.to_string().contains("magic number 0x00000d03"), "{e}");
    let p = dir.write("text", b"hello, world\n");
    let e = read_idx_u8(&p, 3).unwrap_err();
    assert!(
        e.to_string().contains("at byte 0: magic number 0x68656c6c"),
        "{e}"
    );
    let e = Mnist::from_files(&img_path, &img_path).unwrap_err();
    assert!(e.to_string().contains("is not 0x00000801"), "{e}");
}

#[test]
fn truncated_headers_and_zero_dimensions() {
    let dir = Scratch::new("mnist-header");
    let (img, _) = tiny();
    for (cut, offset, what) in [
        (0, 0, "magic number"),
        (3, 3, "magic number"),
        (6, 6, "size of dimension 0"),
        (15, 15, "size of dimension 2"),
    ] {
        let p = dir.write("cut", &img[..cut]);
        let (path, at, reason) = format_error(read_idx_u8(&p, 3).unwrap_err());
        assert!(path.ends_with("cut"));
        assert_eq!(at, offset, "cut at {cut}");
        assert_eq!(
            reason,
            format!("file ends inside the header, reading the {what}")
        );
        // The same cut inside a gzip stream.
        let p = dir.write("cut.gz", &gzip(&img[..cut]));
        let (_, at, reason) = format_error(read_idx_u8(&p, 3).unwrap_err());
        assert_eq!(at, offset);
        assert!(
            reason.ends_with("(offset in the decompressed stream)"),
            "{reason}"
        );
    }
    let p = dir.write("zero", &idx(&[3, 0, 2], &[]));
    let e = read_idx_u8(&p, 3).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("zero: at byte 8: dimension 1 is 0; every dimension must be positive"),
        "{e}"
    );
}

#[test]
fn raw_data_shorter_or_longer_than_declared() {
    let dir = Scratch::new("mnist-raw-size");
    let (img, _) = tiny();
    let p = dir.write("short", &img[..img.len() - 2]);
    let (_, offset, reason) = format_error(read_idx_u8(&p, 3).unwrap_err());
    assert_eq!(offset, 26);
    assert_eq!(
        reason,
        "file ends after 10 of the 12 data bytes declared by dimensions [3, 2, 2]"
    );
    let mut long = img.clone();
    long.extend_from_slice(&[1, 2, 3]);
    let p = dir.write("long", &long);
    let (_, offset, reason) = format_error(read_idx_u8(&p, 3).unwrap_err());
    assert_eq!(offset, 28);
    assert_eq!(
        reason,
        "data continues after the 12 bytes declared by dimensions [3, 2, 2] (3 extra bytes)"
    );
}

#[test]
fn huge_declared_sizes_fail_fast_without_allocating() {
    let dir = Scratch::new("mnist-huge");
    // 4 billion images of 64k x 64k pixels overflow u64.
    let p = dir.write(
        "overflow",
        &idx(&[u32::MAX, u32::MAX, u32::MAX], &[1, 2, 3]),
    );
    let e = read_idx_u8(&p, 3).unwrap_err();
    assert!(
        e.to_string()
            .contains("at byte 4: dimensions [4294967295, 4294967295, 4294967295] declare more"),
        "{e}"
    );
    // A few terabytes declared by a small file, raw and gzipped: errors, promptly.
    let header = idx(&[u32::MAX, 28, 28], &[7; 100]);
    let start = Instant::now();
    let p = dir.write("huge", &header);
    let (_, offset, reason) = format_error(read_idx_u8(&p, 3).unwrap_err());
    assert_eq!(offset, 116);
    assert!(reason.starts_with("file ends after 100 of the 3367254359280 data bytes"));
    let p = dir.write("huge.gz", &gzip(&header));
    let (_, offset, reason) = format_error(read_idx_u8(&p, 3).unwrap_err());
    assert_eq!(offset, 116);
    assert!(reason.starts_with("file ends after 100 of the 3367254359280 data bytes"));
    assert!(start.elapsed().as_secs() < 2, "took {:?}", start.elapsed());
}

#[test]
fn truncated_gzip_file_names_file_and_offset() {
    let dir = Scratch::new("mnist-gz-cut");
    let gz = std::fs::read(bundled_dir().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let p = dir.write("t10k-images-idx3-ubyte.gz", &gz[..gz.len() / 2]);
    let e = read_idx_u8(&p, 3).unwrap_err();
    let msg = e.to_string();
    let (path, offset, reason) = format_error(e);
    assert!(path.ends_with("t10k-images-idx3-ubyte.gz"), "{msg}");
    // Somewhere inside the 7,840,000 data bytes after the 16-byte header.
    assert!(offset > 16 && offset < 16 + 7_840_000, "{msg}");
    assert!(
        reason.starts_with("gzip stream is corrupt or truncated")
            || reason.starts_with("file ends after"),
        "{msg}"
    );
    assert!(
        reason.ends_with("(offset in the decompressed stream)"),
        "{msg}"
    );
    // Cut right after the gzip header: nothing inflates.
    let p = dir.write("ten.gz", &gz[..10]);
    let (_, offset, _) = format_error(read_idx_u8(&p, 3).unwrap_err());
    assert_eq!(offset, 0);
}

#[test]
fn corrupt_gzip_data_is_an_error() {
    let dir = Scratch::new("mnist-gz-corrupt");
    let gz = std::fs::read(bundled_dir().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    // Flipped bits in the compressed data: either the DEFLATE stream or the CRC check fails.
    for at in [gz.len() / 3, gz.len() / 2, gz.len() - 12] {
        let mut bad = gz.clone();
        bad[at] ^= 0x55;
        let p = dir.write("t10k-labels-idx1-ubyte.gz", &bad);
        let e = read_idx_u8(&p, 1).unwrap_err();
        let msg = e.to_string();
        let (path, offset, _) = format_error(e);
        assert!(path.ends_with("t10k-labels-idx1-ubyte.gz"), "{msg}");
        assert!(offset <= 10_008, "{msg}");
    }
    // A corrupt CRC in the trailer: all data inflates, then the check fails at the end.
    let mut bad = gz.clone();
    let n = bad.len();
    bad[n - 8] ^= 0xff;
    let p = dir.write("crc.gz", &bad);
    let (_, offset, reason) = format_error(read_idx_u8(&p, 1).unwrap_err());
    assert_eq!(offset, 10_008);
    assert!(
        reason.starts_with("gzip stream is corrupt or truncated"),
        "{reason}"
    );
    // Garbage after the gzip member.
    let mut trailing = gz.clone();
    trailing.extend_from_slice(b"garbage");
    let p = dir.write("trailing.gz", &trailing);
    let (_, offset, _) = format_error(read_idx_u8(&p, 1).unwrap_err());
    assert_eq!(offset, 10_008);
    // More decompressed data than the header declares.
    let (_, lab) = tiny();
    let mut long = lab.clone();
    long.push(1);
    let p = dir.write("long.gz", &gzip(&long));
    let (_, offset, reason) = format_error(read_idx_u8(&p, 1).unwrap_err());
    assert_eq!(offset, 11);
    assert_eq!(
        reason,
        "data continues after the 3 bytes declared by dimensions [3] (offset in the \
         decompressed stream)"
    );
}

#[test]
fn labels_must_match_images_and_be_digits() {
    let dir = Scratch::new("mnist-labels");
    let (img, _) = tiny();
    let img_path = dir.write("images", &img);
    let p = dir.write("two-labels", &idx(&[2], &[1, 2]));
    let e = Mnist::from_files(&img_path, &p).unwrap_err();
    let msg = e.to_string();
    let (path, offset, reason) = format_error(e);
    assert!(path.ends_with("two-labels"));
    assert_eq!(offset, 4);
    assert!(
        reason.starts_with("the labels file declares 2 examples but the images file"),
        "{msg}"
    );
    assert!(reason.ends_with("images declares 3"), "{msg}");
    let p = dir.write("bad-label", &idx(&[3], &[1, 12, 3]));
    let e = Mnist::from_files(&img_path, &p).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("bad-label: at byte 9: label 12 of example 1 is not a class index in 0..10"),
        "{e}"
    );
}
