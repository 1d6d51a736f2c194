//! The account, key and invitation commands as an operator runs them: the real binary against
//! a prepared database, checked through the domain crates, in both run modes.

mod common;

use std::collections::HashSet;
use std::process::Output;

use common::{ok, run_admin as admin, text};

use entities::{invitation_codes, provider_models, providers, tenants};
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use test_support::TestEnv;
use uuid::Uuid;

const EMAIL: &str = "admin@example.com";
const PASSWORD: &str = "oldpass123";

/// Asserts a failed run whose stderr says `message`.
fn refused(o: &Output, message: &str) {
    assert!(!o.status.success(), "admin succeeded:\n{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(err.contains(message), "expected {message:?} in stderr:\n{err}");
}

/// An environment with the first admin account and its workspace.
async fn set_up() -> TestEnv {
    let env = TestEnv::new().await;
    accounts::setup::run(&env.infra.db, env.infra.storage.as_ref(), EMAIL, "Admin", PASSWORD).await.expect("setup");
    env
}

async fn can_log_in(env: &TestEnv, email: &str, password: &str) -> bool {
    accounts::login::authenticate(&env.infra.db, env.infra.cache.as_ref(), email, password, "127.0.0.1").await.is_ok()
}

#[tokio::test]
async fn reset_password_replaces_the_password_and_ends_console_sessions() {
    let env = set_up().await;
    let account = accounts::account::by_email(&env.infra.db, EMAIL).await.expect("query").expect("account");
    // The command addresses api-server's keys (no test prefix); only Redis outlives its process.
    let redis = match &env.config.redis_url {
        Some(url) => Some(infra::cache::RedisCache::connect(url, "").await.expect("redis")),
        None => None,
    };
    let session = match &redis {
        Some(cache) => {
            let sessions = accounts::session::Sessions::new(cache, &env.config.secret_key, "SELF_HOSTED");
            let sid = sessions.create(account.id, None, false).await.expect("session");
            assert!(sessions.get(&sid).await.expect("get").is_some());
            Some(sid)
        }
        None => None,
    };

    let args = ["reset-password", "--email", EMAIL, "--new-password", "newpass456", "--password-confirm", "newpass456"];
    let out = ok(&admin(&env, &args, None, &[]).await);
    assert!(out.contains("Congratulations!, password has been reset."), "{out}");
    assert!(can_log_in(&env, EMAIL, "newpass456").await);
    assert!(!can_log_in(&env, EMAIL, PASSWORD).await);
    let stored = accounts::account::by_email(&env.infra.db, EMAIL).await.expect("query").expect("account");
    assert!(stored.password.as_deref().is_some_and(|h| h.starts_with("$argon2")), "{:?}", stored.password);
    if let (Some(cache), Some(sid)) = (&redis, session) {
        let sessions = accounts::session::Sessions::new(cache, &env.config.secret_key, "SELF_HOSTED");
        assert!(sessions.get(&sid).await.expect("get").is_none(), "session survived the reset");
    }

    // Options left off are asked for on the terminal, one line each.
    let out = ok(&admin(&env, &["reset-password"], Some(&format!("{EMAIL}\nthird789x\nthird789x\n")), &[]).await);
    assert!(out.contains("password has been reset"), "{out}");
    assert!(can_log_in(&env, EMAIL, "third789x").await);
}

#[tokio::test]
async fn reset_password_refuses_with_difys_messages_and_changes_nothing() {
    let env = set_up().await;
    let run = |email: &'static str, new: &'static str, confirm: &'static str| {
        let env = &env;
        async move {
            admin(
                env,
                &["reset-password", "--email", email, "--new-password", new, "--password-confirm", confirm],
                None,
                &[],
            )
            .await
        }
    };
    refused(&run(EMAIL, "newpass456", "newpass457").await, "sorry. The two passwords do not match.");
    refused(
        &run("nobody@example.com", "newpass456", "newpass456").await,
        "sorry. the account: [nobody@example.com] not exist .",
    );
    refused(&run(EMAIL, "short", "short").await, "sorry. The passwords must match the rule");
    refused(&run(EMAIL, "onlyletters", "onlyletters").await, "sorry. The passwords must match the rule");
    // A prompt that meets the end of input aborts.
    refused(&admin(&env, &["reset-password", "--email", EMAIL], None, &[]).await, "Aborted!");
    assert!(can_log_in(&env, EMAIL, PASSWORD).await);
}

#[tokio::test]
async fn reset_email_moves_the_login_to_the_new_address() {
    let env = set_up().await;
    let run = |email: &'static str, new: &'static str, confirm: &'static str| {
        let env = &env;
        async move {
            admin(env, &["reset-email", "--email", email, "--new-email", new, "--email-confirm", confirm], None, &[])
                .await
        }
    };
    refused(
        &run(EMAIL, "new@example.com", "other@example.com").await,
        "Sorry, new email and confirm email do not match.",
    );
    refused(
        &run("nobody@example.com", "new@example.com", "new@example.com").await,
        "sorry. the account: [nobody@example.com] not exist .",
    );
    refused(&run(EMAIL, "not-an-email", "not-an-email").await, "sorry. not-an-email is not a valid email.");
    assert!(can_log_in(&env, EMAIL, PASSWORD).await);

    let out = ok(&run(EMAIL, "new@example.com", "new@example.com").await);
    assert!(out.contains("Congratulations!, email has been reset."), "{out}");
    assert!(can_log_in(&env, "new@example.com", PASSWORD).await);
    assert!(!can_log_in(&env, EMAIL, PASSWORD).await);
    assert!(accounts::account::by_email(&env.infra.db, EMAIL).await.expect("query").is_none());
}

async fn add_provider(env: &TestEnv, tenant_id: Uuid, name: &str, provider_type: &str) -> Uuid {
    let id = Uuid::new_v4();
    providers::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        provider_name: Set(name.into()),
        provider_type: Set(entities::providers::ProviderType::parse(provider_type).expect("provider type")),
        encrypted_config: Set(Some("{}".into())),
        is_valid: Set(true),
        last_used: Set(None),
        quota_type: Set(Some(if provider_type == "system" {
            entities::providers::QuotaType::Trial
        } else {
            entities::providers::QuotaType::NotHosted
        })),
        quota_limit: Set(None),
        quota_used: Set(None),
        created_at: Set(now_naive()),
        updated_at: Set(now_naive()),
    }
    .insert(&env.infra.db)
    .await
    .expect("provider");
    id
}

async fn add_provider_model(env: &TestEnv, tenant_id: Uuid) {
    provider_models::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        provider_name: Set("huggingface_hub".into()),
        model_name: Set("gpt2".into()),
        model_type: Set(entities::kinds::ModelType::TextGeneration),
        encrypted_config: Set(Some("{}".into())),
        is_valid: Set(true),
        created_at: Set(now_naive()),
        updated_at: Set(now_naive()),
    }
    .insert(&env.infra.db)
    .await
    .expect("provider model");
}

async fn first_tenant(env: &TestEnv) -> tenants::Model {
    tenants::Entity::find()
        .order_by_asc(tenants::Column::CreatedAt)
        .one(&env.infra.db)
        .await
        .expect("query")
        .expect("tenant")
}

#[tokio::test]
async fn reset_encrypt_key_pair_renews_the_first_workspace_key_and_drops_its_custom_credentials() {
    let env = set_up().await;
    let tenant = first_tenant(&env).await;
    let old_public = tenant.encrypt_public_key.clone().expect("public key");
    let custom = add_provider(&env, tenant.id, "openai", "custom").await;
    let system = add_provider(&env, tenant.id, "openai", "system").await;
    add_provider_model(&env, tenant.id).await;
    // A later workspace is not the one reset: its credentials stay.
    let later = Uuid::new_v4();
    tenants::ActiveModel {
        id: Set(later),
        name: Set("Later".into()),
        encrypt_public_key: Set(Some("unused".into())),
        plan: Set("basic".into()),
        status: Set(entities::kinds::RowStatus::Normal),
        created_at: Set(tenant.created_at + chrono::Duration::hours(1)),
        updated_at: Set(tenant.created_at + chrono::Duration::hours(1)),
    }
    .insert(&env.infra.db)
    .await
    .expect("later tenant");
    let later_custom = add_provider(&env, later, "anthropic", "custom").await;
    add_provider_model(&env, later).await;

    refused(
        &admin(&env, &["reset-encrypt-key-pair", "--yes"], None, &[("EDITION", "CLOUD")]).await,
        "Sorry, only support SELF_HOSTED mode.",
    );
    refused(&admin(&env, &["reset-encrypt-key-pair"], Some("n\n"), &[]).await, "Aborted!");
    assert_eq!(first_tenant(&env).await.encrypt_public_key.as_deref(), Some(old_public.as_str()));
    assert!(providers::Entity::find_by_id(custom).one(&env.infra.db).await.expect("query").is_some());

    let out = ok(&admin(&env, &["reset-encrypt-key-pair", "--yes"], None, &[]).await);
    let expected = format!("Congratulations! the asymmetric key pair of workspace {} has been reset.", tenant.id);
    assert!(out.contains(&expected), "{out}");

    let new_public = first_tenant(&env).await.encrypt_public_key.expect("public key");
    assert_ne!(new_public, old_public);
    let private = accounts::keys::load_private(env.infra.storage.as_ref(), tenant.id).await.expect("private key");
    let sealed = kernel::crypto::encrypt("sk-secret", &new_public).expect("encrypt");
    assert_eq!(kernel::crypto::decrypt(&sealed, &private).expect("decrypt"), "sk-secret");

    let db = &env.infra.db;
    assert!(providers::Entity::find_by_id(custom).one(db).await.expect("query").is_none());
    assert!(providers::Entity::find_by_id(system).one(db).await.expect("query").is_some());
    assert!(providers::Entity::find_by_id(later_custom).one(db).await.expect("query").is_some());
    let models = |t: Uuid| provider_models::Entity::find().filter(provider_models::Column::TenantId.eq(t)).count(db);
    assert_eq!(models(tenant.id).await.expect("count"), 0);
    assert_eq!(models(later).await.expect("count"), 1);

    // Confirming at the prompt works as --yes does.
    let out = ok(&admin(&env, &["reset-encrypt-key-pair"], Some("y\n"), &[]).await);
    assert!(out.contains(&expected), "{out}");
    assert_ne!(first_tenant(&env).await.encrypt_public_key.expect("public key"), new_public);
}

#[tokio::test]
async fn reset_encrypt_key_pair_without_a_workspace_is_refused() {
    let env = TestEnv::new().await;
    refused(&admin(&env, &["reset-encrypt-key-pair", "--yes"], None, &[]).await, "Sorry, no workspace found.");
}

async fn codes_of(env: &TestEnv, batch: &str) -> Vec<invitation_codes::Model> {
    invitation_codes::Entity::find()
        .filter(invitation_codes::Column::Batch.eq(batch))
        .all(&env.infra.db)
        .await
        .expect("query")
}

async fn stored_file(env: &TestEnv, key: &str) -> Vec<String> {
    let bytes = env.infra.storage.load(key).await.expect("code file");
    String::from_utf8(bytes.to_vec()).expect("utf8").lines().map(str::to_string).collect()
}

#[tokio::test]
async fn generate_invitation_codes_stores_a_batch_and_its_file() {
    let env = TestEnv::new().await;
    refused(
        &admin(&env, &["generate-invitation-codes", "--count", "0"], None, &[]).await,
        "sorry. the count must be greater than 0.",
    );
    refused(
        &admin(&env, &["generate-invitation-codes", "--count", "-3"], None, &[]).await,
        "sorry. the count must be greater than 0.",
    );
    refused(
        &admin(&env, &["generate-invitation-codes", "--batch", "../x", "--count", "1"], None, &[]).await,
        "sorry. the batch",
    );
    assert_eq!(invitation_codes::Entity::find().count(&env.infra.db).await.expect("count"), 0);

    let out = ok(&admin(&env, &["generate-invitation-codes", "--batch", "launch", "--count", "5"], None, &[]).await);
    assert!(out.contains("Generated 5 invitation codes for batch launch"), "{out}");
    assert!(out.contains("'invitation-codes-launch.txt'"), "{out}");
    let rows = codes_of(&env, "launch").await;
    assert_eq!(rows.len(), 5);
    let codes: HashSet<String> = rows.iter().map(|r| r.code.clone()).collect();
    assert_eq!(codes.len(), 5, "codes repeat: {codes:?}");
    for r in &rows {
        assert_eq!(r.status, entities::invitation_codes::CodeStatus::Unused);
        assert!(
            r.code.len() == 8 && r.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "{}",
            r.code
        );
        assert!(out.lines().any(|l| l == r.code), "{} not printed", r.code);
    }
    let ids: HashSet<i32> = rows.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 5);
    let file = stored_file(&env, "invitation-codes-launch.txt").await;
    assert_eq!(file.len(), 5);
    assert_eq!(file.into_iter().collect::<HashSet<_>>(), codes);

    // Without --batch the batch is the UTC time; without --count it is asked for.
    let out = ok(&admin(&env, &["generate-invitation-codes"], Some("3\n"), &[]).await);
    let batch = out
        .lines()
        .find_map(|l| l.strip_prefix("Start generate 3 invitation codes for batch "))
        .and_then(|rest| rest.strip_suffix('.'))
        .expect("batch line")
        .to_string();
    assert!(batch.len() == 14 && batch.bytes().all(|b| b.is_ascii_digit()), "{batch}");
    let rows = codes_of(&env, &batch).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| !codes.contains(&r.code)));
    assert_eq!(stored_file(&env, &format!("invitation-codes-{batch}.txt")).await.len(), 3);
}
