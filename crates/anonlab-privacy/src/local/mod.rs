//! Local recoding: each equivalence class is generalized on its own, so a
//! release keeps far more detail than one global transformation allows.

mod mdav;
mod mondrian;

pub use mdav::{Microaggregation, mdav};
pub use mondrian::{Dimension, Mondrian, MondrianResult, Partition};
