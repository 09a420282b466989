//! CIFAR-10 and CIFAR-100 binary files, written by the tests in the official layout.

mod common;

use common::Scratch;
use youshi_data::cifar::{
    Cifar, CifarKind, CIFAR10_CLASSES, IMAGE_BYTES, RECORD_BYTES_10, RECORD_BYTES_100,
};
use youshi_data::{DataError, Dataset, Pixels, Split};

/// A CIFAR-10 record: the label, then pixel `k` of the image equal to `(seed + k) % 256`.
fn record10(label: u8, seed: usize) -> Vec<u8> {
    let mut r = vec![label];
    r.extend((0..IMAGE_BYTES).map(|k| ((seed + k) % 256) as u8));
    r
}

/// A CIFAR-100 record: coarse and fine labels, then the pixels of [`record10`].
fn record100(coarse: u8, fine: u8, seed: usize) -> Vec<u8> {
    let mut r = vec![coarse];
    r.extend(record10(fine, seed));
    r
}

fn file(records: &[Vec<u8>]) -> Vec<u8> {
    records.concat()
}

fn reason(e: DataError) -> (String, u64, String) {
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
fn cifar10_batches_load_in_order() {
    let dir = Scratch::new("cifar10");
    for b in 1..=5u8 {
        let recs: Vec<Vec<u8>> = (0..3)
            .map(|i| record10((b + i) % 10, (b * 10 + i) as usize))
            .collect();
        dir.write(&format!("data_batch_{b}.bin"), &file(&recs));
    }
    dir.write("test_batch.bin", &file(&[record10(9, 7), record10(0, 8)]));

    let train = Cifar::load(dir.path(), CifarKind::Cifar10, Split::Train).unwrap();
    assert_eq!(train.kind(), CifarKind::Cifar10);
    assert_eq!(train.len(), 15);
    assert_eq!(&train.labels()[..6], &[1, 2, 3, 2, 3, 4]);
    assert_eq!(train.coarse_labels(), None);
    assert_eq!(train.coarse_targets::<f32>(), None);
    assert_eq!(train.label_counts().len(), 10);
    assert_eq!(train.label_counts().iter().sum::<usize>(), 15);

    let images = train.images::<f32>(Pixels::Raw);
    assert_eq!(images.shape(), &[15, 3, 32, 32]);
    // Record 4 is batch 2's second one (seed 21): red (0, 0), green (0, 0), blue (31, 31).
    assert_eq!(images.get(&[4, 0, 0, 0]).unwrap(), 21.0);
    assert_eq!(
        images.get(&[4, 1, 0, 0]).unwrap(),
        ((21 + 1024) % 256) as f32
    );
    assert_eq!(
        images.get(&[4, 2, 31, 31]).unwrap(),
        ((21 + 3071) % 256) as f32
    );
    let unit = train.images::<f64>(Pixels::Unit);
    assert_eq!(unit.get(&[4, 0, 0, 0]).unwrap(), 21.0 / 255.0);

    let test = Cifar::load(dir.path(), CifarKind::Cifar10, Split::Test).unwrap();
    assert_eq!(test.labels(), &[9, 0]);
    let data = test.to_dataset::<f32>(Pixels::Unit);
    let (x, y) = data.get(0).unwrap();
    assert_eq!(x.shape(), &[3, 32, 32]);
    assert_eq!(y.item().unwrap(), 9.0);
    assert_eq!(CIFAR10_CLASSES[9], "truck");
    assert_eq!(test.targets::<f32>().to_vec(), vec![9.0, 0.0]);
}

#[test]
fn cifar100_records_have_coarse_and_fine_labels() {
    let dir = Scratch::new("cifar100");
    let sub = dir.path().join("cifar-100-binary");
    std::fs::create_dir_all(&sub).unwrap();
    let recs = [
        record100(19, 99, 1),
        record100(0, 5, 2),
        record100(3, 42, 3),
    ];
    std::fs::write(sub.join("train.bin"), file(&recs)).unwrap();
    // Found in the archive's subdirectory.
    let c = Cifar::load(dir.path(), CifarKind::Cifar100, Split::Train).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c.labels(), &[99, 5, 42]);
    assert_eq!(c.coarse_labels(), Some(&[19, 0, 3][..]));
    assert_eq!(
        c.coarse_targets::<f32>().unwrap().to_vec(),
        vec![19.0, 0.0, 3.0]
    );
    assert_eq!(c.label_counts().len(), 100);
    assert_eq!(c.label_counts()[42], 1);
    assert_eq!(c.pixels().len(), 3 * IMAGE_BYTES);
    assert_eq!(c.pixels()[IMAGE_BYTES], 2);
    assert_eq!(CifarKind::Cifar100.record_bytes(), RECORD_BYTES_100);
}

#[test]
fn partial_records_and_empty_files_are_rejected() {
    let dir = Scratch::new("cifar-partial");
    let mut bytes = file(&[record10(1, 0), record10(2, 1)]);
    bytes.extend_from_slice(&[3, 4, 5]);
    let p = dir.write("data_batch_1.bin", &bytes);
    let (path, offset, msg) = reason(Cifar::from_files(CifarKind::Cifar10, &[&p]).unwrap_err());
    assert!(path.ends_with("data_batch_1.bin"));
    assert_eq!(offset, 2 * RECORD_BYTES_10 as u64);
    assert_eq!(
        msg,
        "trailing partial record of 3 bytes after 2 whole records (a record is 3073 bytes: \
         1 label byte and 3072 pixels)"
    );
    // A CIFAR-10 file read as CIFAR-100: 3073 is not a multiple of 3074.
    let p = dir.write("one.bin", &record10(1, 0));
    let (_, offset, msg) = reason(Cifar::from_files(CifarKind::Cifar100, &[&p]).unwrap_err());
    assert_eq!(offset, 0);
    assert!(
        msg.contains("a record is 3074 bytes: 2 label bytes"),
        "{msg}"
    );
    let p = dir.write("empty.bin", &[]);
    let e = Cifar::from_files(CifarKind::Cifar10, &[&p]).unwrap_err();
    assert!(e
        .to_string()
        .ends_with("empty.bin: at byte 0: file holds no records"));
}

#[test]
fn labels_out_of_range_name_their_offset() {
    let dir = Scratch::new("cifar-labels");
    let p = dir.write("b.bin", &file(&[record10(1, 0), record10(10, 1)]));
    let (_, offset, msg) = reason(Cifar::from_files(CifarKind::Cifar10, &[&p]).unwrap_err());
    assert_eq!(offset, RECORD_BYTES_10 as u64);
    assert_eq!(msg, "label 10 of record 1 is not a class index in 0..10");
    let p = dir.write(
        "c.bin",
        &file(&[record100(1, 1, 0), record100(2, 2, 0), record100(20, 3, 0)]),
    );
    let (_, offset, msg) = reason(Cifar::from_files(CifarKind::Cifar100, &[&p]).unwrap_err());
    assert_eq!(offset, 2 * RECORD_BYTES_100 as u64);
    assert_eq!(
        msg,
        "coarse label 20 of record 2 is not a class index in 0..20"
    );
    let p = dir.write("f.bin", &file(&[record100(1, 100, 0)]));
    let (_, offset, msg) = reason(Cifar::from_files(CifarKind::Cifar100, &[&p]).unwrap_err());
    assert_eq!(offset, 1);
    assert_eq!(
        msg,
        "fine label 100 of record 0 is not a class index in 0..100"
    );
}

#[test]
fn missing_files_and_arguments() {
    let dir = Scratch::new("cifar-missing");
    let e = Cifar::load(dir.path(), CifarKind::Cifar10, Split::Test).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("none of test_batch.bin, cifar-10-batches-bin/test_batch.bin exists"),
        "{e}"
    );
    assert!(e.to_string().starts_with("load CIFAR-10: "), "{e}");
    // The first train batch exists but a later one does not.
    dir.write("data_batch_1.bin", &record10(0, 0));
    let e = Cifar::load(dir.path(), CifarKind::Cifar10, Split::Train).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("data_batch_2.bin"), "{e}");
    let none: [&str; 0] = [];
    let e = Cifar::from_files(CifarKind::Cifar10, &none).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cifar::from_files: expected at least one file, got an empty list"
    );
}
