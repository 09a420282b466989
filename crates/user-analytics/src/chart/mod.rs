//! Hand-written SVG charts of analysis results: a funnel, a retention heatmap, RFM segment
//! sizes, a histogram of lifetime values, and a general [`BarChart`]. Every function returns
//! the document as a `String`; [`write_file_atomic`] saves it. Text is escaped, so labels
//! from the data (event names, property values) cannot break the markup.
//!
//! ```
//! use youshi_user_analytics::chart::{write_file_atomic, BarChart};
//! let svg = BarChart::new("Orders by platform", "platform", "orders")
//!     .bar("web", 120.0, None)
//!     .bar("ios", 80.0, None)
//!     .to_svg();
//! assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
//! let path = std::env::temp_dir().join(format!("youshi-bars-{}.svg", std::process::id()));
//! write_file_atomic(&path, &svg)?;
//! std::fs::remove_file(&path).ok();
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

mod bar;
mod heatmap;
mod svg;

pub use bar::{clv_histogram_svg, funnel_svg, segments_svg, Bar, BarChart};
pub use heatmap::retention_svg;
pub use svg::{escape, write_file_atomic};
