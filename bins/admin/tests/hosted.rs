//! `sync-anthropic-hosted-providers` as an operator runs it, in both run modes.

mod common;

use common::{ok, run_admin};

use entities::providers;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use test_support::TestEnv;
use uuid::Uuid;

async fn row(env: &TestEnv, provider_type: &str, quota_type: &str, limit: Option<i64>, used: i64) -> Uuid {
    let now = now_naive();
    let id = Uuid::new_v4();
    providers::ActiveModel {
        id: Set(id),
        tenant_id: Set(Uuid::new_v4()),
        provider_name: Set("anthropic".into()),
        provider_type: Set(entities::providers::ProviderType::parse(provider_type).expect("provider type")),
        encrypted_config: Set(None),
        is_valid: Set(true),
        last_used: Set(None),
        quota_type: Set(Some(sea_orm::ActiveEnum::try_from_value(&quota_type.to_owned()).expect("quota type"))),
        quota_limit: Set(limit),
        quota_used: Set(Some(used)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&env.infra.db)
    .await
    .expect("provider row");
    id
}

async fn quota(env: &TestEnv, id: Uuid) -> (Option<i64>, Option<i64>) {
    let r = providers::Entity::find_by_id(id).one(&env.infra.db).await.expect("q").expect("row");
    (r.quota_limit, r.quota_used)
}

const HOSTED: [(&str, &str); 3] = [
    ("HOSTED_ANTHROPIC_ENABLED", "true"),
    ("HOSTED_ANTHROPIC_API_KEY", "sk-ant-operator"),
    ("HOSTED_ANTHROPIC_QUOTA_LIMIT", "600000"),
];

#[tokio::test]
async fn anthropic_trials_are_rescaled_to_the_new_limit() {
    let env = TestEnv::new().await;
    let old_default = row(&env, "system", "trial", Some(1000), 10).await;
    let custom_limit = row(&env, "system", "trial", Some(600), 5).await;
    let current = row(&env, "system", "trial", Some(600_000), 7).await;
    let paid = row(&env, "system", "paid", Some(1000), 3).await;
    let custom = row(&env, "custom", "", None, 0).await;

    let out = ok(&run_admin(&env, &["sync-anthropic-hosted-providers"], None, &HOSTED).await);
    assert!(out.contains("Start sync anthropic hosted providers."), "{out}");
    assert!(out.contains("origin: limit 1000, used 10") && out.contains("origin: limit 600, used 5"), "{out}");
    assert!(out.contains("Congratulations! Synced 2 anthropic hosted providers."), "{out}");
    assert_eq!(quota(&env, old_default).await, (Some(600_000), Some(6000)));
    assert_eq!(quota(&env, custom_limit).await, (Some(360_000), Some(3000)));
    assert_eq!(quota(&env, current).await, (Some(600_000), Some(7)), "already on the new limit");
    assert_eq!(quota(&env, paid).await, (Some(1000), Some(3)), "only trials");
    assert_eq!(quota(&env, custom).await, (None, Some(0)));

    // As in Dify, a second run leaves rows on the new limit and scales the others again.
    let out = ok(&run_admin(&env, &["sync-anthropic-hosted-providers"], None, &HOSTED).await);
    assert!(out.contains("Synced 1 anthropic hosted providers."), "{out}");
    assert_eq!(quota(&env, old_default).await, (Some(600_000), Some(6000)));
}

#[tokio::test]
async fn without_a_hosted_anthropic_nothing_changes() {
    let env = TestEnv::new().await;
    let trial = row(&env, "system", "trial", Some(1000), 10).await;
    let out = ok(&run_admin(&env, &["sync-anthropic-hosted-providers"], None, &[]).await);
    assert!(out.contains("Anthropic hosted provider is not configured."), "{out}");
    assert_eq!(quota(&env, trial).await, (Some(1000), Some(10)));
}
