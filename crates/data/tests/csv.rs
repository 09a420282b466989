//! CSV tables: column selection, label kinds, every error, and standardisation.

mod common;

use common::Scratch;
use youshi_data::tabular::{CsvOptions, LabelKind, Standardizer, Tabular};
use youshi_data::transform::Transform;
use youshi_data::{DataError, Dataset};
use youshi_tensor::{seeded_rng, Tensor};

const IRIS: &str = "\
sepal_length,sepal_width,petal_length,species
5.1,3.5,1.4,setosa
7.0,3.2,4.7,versicolor
6.3,3.3,6.0,virginica
4.9,3.0,1.4,setosa
";

fn read(opts: &CsvOptions, text: &str) -> Result<Tabular, DataError> {
    opts.read(text.as_bytes(), "t.csv")
}

#[test]
fn features_by_name_and_categorical_labels() {
    let t = CsvOptions::new("species")
        .features(["petal_length", "sepal_length"])
        .categorical()
        .read(IRIS.as_bytes(), "iris.csv")
        .unwrap();
    assert_eq!(t.len(), 4);
    assert_eq!(t.num_features(), 2);
    assert_eq!(t.feature_names(), &["petal_length", "sepal_length"]);
    assert_eq!(t.label_name(), "species");
    assert_eq!(t.row(1).unwrap(), &[4.7, 7.0]);
    assert!(t.row(4).is_none());
    assert_eq!(t.classes().unwrap(), &["setosa", "versicolor", "virginica"]);
    assert_eq!(t.targets(), &[0.0, 1.0, 2.0, 0.0]);
    let data = t.to_dataset::<f32>();
    assert_eq!(data.inputs().shape(), &[4, 2]);
    assert_eq!(data.targets().shape(), &[4]);
    let (x, y) = data.get(2).unwrap();
    assert_eq!((x.to_vec(), y.item().unwrap()), (vec![6.0, 6.3], 2.0));
}

#[test]
fn numeric_labels_default_features_delimiter_and_whitespace() {
    let text = "a; y ;b\n 1.5 ; 0 ;-2e3\n2;1;  3\n";
    let t = CsvOptions::new("y")
        .delimiter(b';')
        .label_kind(LabelKind::Numeric)
        .read(text.as_bytes(), "semi.csv")
        .unwrap();
    assert_eq!(t.feature_names(), &["a", "b"]);
    assert_eq!(t.features(), &[1.5, -2000.0, 2.0, 3.0]);
    assert_eq!(t.targets(), &[0.0, 1.0]);
    assert_eq!(t.classes(), None);
    assert_eq!(t.input_tensor::<f64>().shape(), &[2, 2]);
    assert_eq!(t.target_tensor::<f64>().to_vec(), vec![0.0, 1.0]);
    // A header alone is an empty table.
    let empty = read(&CsvOptions::new("y"), "x,y\n").unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.to_dataset::<f32>().len(), 0);
}

#[test]
fn loads_from_a_file_and_reports_io_errors() {
    let dir = Scratch::new("csv");
    let p = dir.write("iris.csv", IRIS.as_bytes());
    let t = CsvOptions::new("species").categorical().load(&p).unwrap();
    assert_eq!(t.num_features(), 3);
    let e = CsvOptions::new("y")
        .load(dir.path().join("absent.csv"))
        .unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    assert!(e.to_string().starts_with("read CSV file: "), "{e}");
    assert!(e.to_string().contains("absent.csv"), "{e}");
}

#[test]
fn missing_columns_list_the_available_ones() {
    let e = read(&CsvOptions::new("label"), IRIS).unwrap_err();
    assert!(matches!(e, DataError::MissingColumn { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "t.csv: no column named \"label\"; the columns are: sepal_length, sepal_width, \
         petal_length, species"
    );
    let e = read(
        &CsvOptions::new("species")
            .categorical()
            .features(["sepal_length", "petal_width"]),
        IRIS,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.csv: no column named \"petal_width\"; the columns are: "),
        "{e}"
    );
}

#[test]
fn unparsable_values_name_line_and_column() {
    let opts = CsvOptions::new("y");
    let e = read(&opts, "a,b,y\n1,2,0\n3,x,1\n").unwrap_err();
    assert!(matches!(e, DataError::Csv { line: 3, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "t.csv: line 3, column \"b\": cannot parse \"x\" as a number"
    );
    let e = read(&opts, "a,b,y\n1,,0\n").unwrap_err();
    assert_eq!(e.to_string(), "t.csv: line 2, column \"b\": empty value");
    let e = read(&opts, "a,b,y\n1,2,0\n1,nan,0\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: line 3, column \"b\": value \"nan\" is not a finite number"
    );
    // A string label read as a number.
    let e = read(&opts, "a,y\n1,cat\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: line 2, column \"y\": cannot parse \"cat\" as a number"
    );
    let e = read(&opts.clone().categorical(), "a,y\n1,cat\n2,\n").unwrap_err();
    assert_eq!(e.to_string(), "t.csv: line 3, column \"y\": empty value");
    // A quoted field spanning two lines moves the next record to line 4.
    let e = read(&opts, "a,y\n\"1\n\",0\n2,z\n").unwrap_err();
    assert!(
        e.to_string().starts_with("t.csv: line 4, column \"y\""),
        "{e}"
    );
    let e = read(&opts, "a,y\n\"1\",0\n2,z\n").unwrap_err();
    assert!(
        e.to_string().starts_with("t.csv: line 3, column \"y\""),
        "{e}"
    );
}

#[test]
fn ragged_rows_are_errors() {
    let opts = CsvOptions::new("y");
    let e = read(&opts, "a,b,y\n1,2,0\n3,4\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: line 3, column \"y\": the record has 2 fields but the header has 3"
    );
    let e = read(&opts, "a,b,y\n1,2,0,9\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: line 2, column \"#4\": the record has 4 fields but the header has 3"
    );
}

#[test]
fn header_and_argument_errors() {
    let e = read(&CsvOptions::new("y"), "").unwrap_err();
    assert_eq!(e.to_string(), "t.csv: at byte 0: no header row");
    let e = read(&CsvOptions::new("y").features(["a", "y"]), "a,y\n1,2\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "read CSV: the label column \"y\" is also a feature"
    );
    let e = read(&CsvOptions::new("y"), "y\n1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "read CSV: t.csv: no feature columns besides the label \"y\""
    );
    let bad_utf8: &[u8] = b"a,y\n1,0\n\xff\xfe,1\n";
    let e = CsvOptions::new("y").read(bad_utf8, "t.csv").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.csv: line 3, column \"#1\": invalid UTF-8"),
        "{e}"
    );
}

#[test]
fn standardizer_fits_applies_and_matches_normalize() {
    let text = "a,b,c,y\n1,10,5,0\n2,20,5,1\n3,60,5,0\n";
    let mut train = read(&CsvOptions::new("y"), text).unwrap();
    let s = Standardizer::fit(&train).unwrap();
    assert_eq!(s.mean(), &[2.0, 30.0, 5.0]);
    let sd_b = (((10.0f64 - 30.0).powi(2) + 100.0 + 900.0) / 3.0).sqrt();
    assert_eq!(s.std(), &[(2.0f64 / 3.0).sqrt(), sd_b, 1.0]);
    let raw_row = Tensor::from_vec(train.row(2).unwrap().to_vec(), [3]).unwrap();
    s.apply(&mut train).unwrap();
    let row = train.row(2).unwrap().to_vec();
    assert_eq!(row[2], 0.0, "a constant column is only centred");
    assert!((row[0] - 1.0 / (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    let col_mean: f64 = (0..3).map(|i| train.row(i).unwrap()[1]).sum::<f64>() / 3.0;
    assert!(col_mean.abs() < 1e-12);
    // The same map as a transform of one row.
    let n = s.to_normalize().unwrap();
    let via = n.apply(raw_row, &mut seeded_rng(0)).unwrap().to_vec();
    youshi_testkit::assert_close(&via, &row, 1e-15, 0.0).unwrap();

    let mut other = read(&CsvOptions::new("y"), "a,y\n1,0\n").unwrap();
    let e = s.apply(&mut other).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Standardizer::apply: fitted on 3 features, given a table of 1"
    );
    let empty = read(&CsvOptions::new("y"), "a,y\n").unwrap();
    let e = Standardizer::fit(&empty).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Standardizer::fit: cannot fit on a table with no rows"
    );
    let huge = read(&CsvOptions::new("y"), "a,y\n1e308,0\n-1e308,0\n").unwrap();
    let e = Standardizer::fit(&huge)
        .unwrap()
        .to_normalize()
        .unwrap_err();
    assert!(e.to_string().contains("std inf"), "{e}");
}
