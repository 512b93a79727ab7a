//! Height: the sum of generalization levels (ARX's MetricMDHeight).

use super::Loss;

/// The height metric (nothing to prepare).
#[derive(Debug, Clone)]
pub struct Height;

impl Height {
    /// The value, which depends on the level vector only.
    pub fn value(&self, levels: &[u8]) -> Loss {
        let per_attribute: Vec<f64> = levels.iter().map(|&l| l as f64).collect();
        Loss { value: per_attribute.iter().sum(), per_attribute }
    }
}
