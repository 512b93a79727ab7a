//! The catalog: the built-in anonymizers and attacks a submission can name,
//! with their settings. The anonymizers are read from the type that
//! deserializes a submission (and its doc comments), through its OpenAPI
//! schema, so the catalog cannot drift from what the API accepts; every
//! listed configuration is one the API accepts as it stands (tested).

use std::sync::OnceLock;

use anonlab_arena::evaluate::demo_anonymizers;
use anonlab_arena::submission::{BuiltinAnonymizer, BuiltinAttack, Implementation};
use axum::Router;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use utoipa::{PartialSchema, ToSchema};

use super::ApiCaller;
use crate::http::AppState;
use crate::http::error::ErrorBody;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/catalog", get(catalog))
}

/// What submissions can run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Catalog {
    /// The built-in anonymizers (`{"kind": "builtin-anonymizer", "algorithm": NAME, ...settings}`).
    pub anonymizers: Vec<CatalogItem>,
    /// The built-in attacks (`{"kind": "builtin-attack", "attack": NAME}`).
    pub attacks: Vec<CatalogItem>,
    /// Ready-made anonymizer configurations (the demo's), to start from.
    pub examples: Vec<Example>,
}

/// One built-in anonymizer or attack.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogItem {
    /// Its name in a submission's `implementation`.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its settings.
    pub settings: Vec<Setting>,
    /// A complete `implementation` to submit, when one needs no choices.
    pub implementation: Option<Implementation>,
}

/// One setting of a built-in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Setting {
    /// Its field name.
    pub name: String,
    /// What it means.
    pub description: String,
    /// Its JSON type (`integer`, `number`, `string`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether a submission must give it.
    pub required: bool,
}

/// A named, complete configuration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Example {
    /// A name for it.
    pub name: String,
    /// The `implementation` to submit.
    pub implementation: Implementation,
}

/// The variants of an internally tagged enum's schema: (tag value, description, settings).
fn variants(schema: &Value, tag: &str) -> Vec<(String, String, Vec<Setting>)> {
    let Some(items) = schema.get("oneOf").and_then(Value::as_array) else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            // A variant is an object, possibly split into `allOf` parts.
            let parts: Vec<&Value> = match item.get("allOf").and_then(Value::as_array) {
                Some(parts) => parts.iter().collect(),
                None => vec![item],
            };
            let mut name = None;
            let mut description =
                item.get("description").and_then(Value::as_str).map(str::to_string).unwrap_or_default();
            let mut settings = Vec::new();
            for part in parts {
                if description.is_empty() {
                    description = part.get("description").and_then(Value::as_str).unwrap_or("").to_string();
                }
                let required: Vec<&str> = part
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let Some(properties) = part.get("properties").and_then(Value::as_object) else { continue };
                for (field, property) in properties {
                    if field == tag {
                        name = property
                            .get("enum")
                            .and_then(Value::as_array)
                            .and_then(|e| e.first())
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        continue;
                    }
                    let kind = match property.get("type") {
                        Some(Value::String(t)) => t.clone(),
                        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
                        _ => "object".to_string(),
                    };
                    settings.push(Setting {
                        name: field.clone(),
                        description: property.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
                        kind,
                        required: required.contains(&field.as_str()),
                    });
                }
            }
            name.map(|n| (n, description, settings))
        })
        .collect()
}

/// What an attack does. The attacks' schema carries no per-variant text
/// (utoipa drops the doc comments of unit variants), so it is stated here, as
/// the variants' doc comments in `anonlab_arena::submission` state it; the
/// match is exhaustive, so a new attack cannot be left undescribed.
fn attack_description(attack: BuiltinAttack) -> &'static str {
    match attack {
        BuiltinAttack::SinglingOut => "Multivariate singling out on the threat model's known columns.",
        BuiltinAttack::Linkability => "Linkability between two halves of the known columns.",
        BuiltinAttack::Inference => "Attribute inference of the threat model's secret.",
        BuiltinAttack::Linkage => "Re-identification of targets in a generalized release.",
        BuiltinAttack::Membership => "Membership inference by distance to the closest record.",
        BuiltinAttack::LabelOnlyGap => {
            "On AnoMed models: a record is called a member when the model labels it correctly (Yeom et al. 2018)."
        }
        BuiltinAttack::LabelOnlyNoise => {
            "On AnoMed models: members keep their label under noise more often (Choquette-Choo et al. 2021)."
        }
        BuiltinAttack::ShadowModel => {
            "On AnoMed models: an attack model learnt on shadow models of the attacker's data (Shokri et al. 2017)."
        }
    }
}

fn build() -> Catalog {
    let schema = serde_json::to_value(BuiltinAnonymizer::schema()).unwrap_or(Value::Null);
    let examples: Vec<Example> = demo_anonymizers()
        .into_iter()
        .map(|(name, a)| Example { name: name.to_string(), implementation: Implementation::BuiltinAnonymizer(a) })
        .collect();
    let anonymizers = variants(&schema, "algorithm")
        .into_iter()
        .map(|(name, description, settings)| {
            // Complete with defaults alone, or as in the first example using it.
            let implementation = serde_json::from_value::<BuiltinAnonymizer>(serde_json::json!({ "algorithm": name }))
                .ok()
                .map(Implementation::BuiltinAnonymizer)
                .or_else(|| {
                    examples
                        .iter()
                        .find(|e| {
                            serde_json::to_value(&e.implementation).ok().and_then(|v| v.get("algorithm").cloned())
                                == Some(Value::String(name.clone()))
                        })
                        .map(|e| e.implementation.clone())
                });
            CatalogItem { name, description, settings, implementation }
        })
        .collect();
    let attacks = BuiltinAttack::every()
        .map(|attack| CatalogItem {
            name: attack.name().to_string(),
            description: attack_description(attack).to_string(),
            settings: Vec::new(),
            implementation: Some(Implementation::BuiltinAttack(attack)),
        })
        .collect();
    Catalog { anonymizers, attacks, examples }
}

/// The catalog, built once.
pub fn catalog_data() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(build)
}

/// The built-in anonymizers and attacks, with their settings and example configurations.
#[utoipa::path(
    get,
    path = "/api/v1/catalog",
    tag = "catalog",
    security((), ("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The catalog.", body = Catalog),
        (status = 401, description = "An unknown or expired credential was sent.", body = ErrorBody),
    )
)]
pub async fn catalog(_caller: ApiCaller) -> axum::Json<&'static Catalog> {
    axum::Json(catalog_data())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_builtin_with_its_settings() {
        let catalog = catalog_data();
        let names: Vec<&str> = catalog.anonymizers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["optimal-k-anonymity", "mondrian", "microaggregation", "identity"], "{catalog:#?}");
        let optimal = &catalog.anonymizers[0];
        assert!(!optimal.description.is_empty());
        let k = optimal.settings.iter().find(|s| s.name == "k").expect("k is a setting");
        assert!(k.required && k.kind == "integer", "{k:?}");
        let suppression = optimal.settings.iter().find(|s| s.name == "suppression_limit").expect("suppression_limit");
        assert!(!suppression.required, "{suppression:?}");
        assert!(catalog.anonymizers.iter().all(|a| a.implementation.is_some()), "{catalog:#?}");
        assert!(catalog.anonymizers.iter().all(|a| !a.description.is_empty()), "{catalog:#?}");
        let attacks: Vec<&str> = catalog.attacks.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(attacks, BuiltinAttack::every().map(BuiltinAttack::name).collect::<Vec<_>>());
        assert!(catalog.attacks.iter().all(|a| !a.description.is_empty()), "{catalog:#?}");
        assert!(!catalog.examples.is_empty());
    }
}
