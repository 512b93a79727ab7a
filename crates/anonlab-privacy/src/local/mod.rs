//! Local recoding: each equivalence class is generalized on its own, so a
//! release keeps far more detail than one global transformation allows.

mod mondrian;

pub use mondrian::{Dimension, Mondrian, MondrianResult, Partition};
