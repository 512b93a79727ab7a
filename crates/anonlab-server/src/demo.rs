//! The demo a fresh platform starts with: the shipped challenges (UCI Adult and
//! a medical table), the built-in anonymizers and every built-in attack, so the
//! leaderboards fill within a minute of `anonlab serve`.

use anonlab_arena::Arena;
use anonlab_arena::accounts::{Role, random_password};
use anonlab_arena::audit::{Event, Outcome};
use anonlab_arena::evaluate::demo::{demo_anonymizers, demo_challenges};
use anonlab_arena::submission::{BuiltinAttack, Implementation, Visibility};
use anyhow::Result;

/// The account that owns the demo's challenges and built-in submissions. Its
/// password is random and never shown: nobody signs in as it.
pub const DEMO_USER: &str = "anonlab-demo";

/// Seeds the demo once: does nothing when any challenge exists.
pub async fn seed(arena: &Arena) -> Result<()> {
    if !arena.store.challenges().await?.is_empty() {
        return Ok(());
    }
    let owner = arena.store.create_user(DEMO_USER, &random_password(), Role::DataOwner).await?;
    // Attacks and anonymizers first: each challenge then queues everything at once.
    for attack in BuiltinAttack::every() {
        arena
            .create_submission(&owner, attack.name(), Implementation::BuiltinAttack(attack), Visibility::Public)
            .await?;
    }
    for (name, anonymizer) in demo_anonymizers() {
        arena
            .create_submission(&owner, name, Implementation::BuiltinAnonymizer(anonymizer), Visibility::Public)
            .await?;
    }
    for demo in demo_challenges() {
        let dataset = arena.create_dataset(&owner, demo.slug, demo.csv.to_vec(), usize::MAX).await?;
        let challenge =
            arena.create_challenge(&owner, demo.slug, demo.title, demo.description, &dataset.id, demo.spec).await?;
        arena
            .audit
            .record(Event {
                actor: "system",
                action: "demo.seed",
                target: &challenge.id,
                outcome: Outcome::Allowed,
                detail: serde_json::json!({ "dataset": dataset.id, "rows": dataset.row_count }),
            })
            .await?;
    }
    Ok(())
}
