//! Which `providers` row a workspace's calls to a provider go through (Dify's
//! `get_preferred_model_provider`), and the hosted quota those calls use up.
//!
//! The preferred type is the workspace's `tenant_preferred_model_providers` row, else
//! `custom` when it has valid credentials, else `system` when the provider is hosted here.
//! A `system` provider is used through its first quota (paid, free, trial) that is valid and
//! not used up; a trial row is created on first use with the provider's trial limit. When no
//! hosted quota is left, the workspace's own credentials are used if it has them.

use std::collections::HashMap;

use entities::{providers, tenant_preferred_model_providers as preferred};
use kernel::time::now_naive;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{new_custom_row, provider_key};
use crate::catalog::{ProviderSpec, ProviderType, QuotaType, QuotaUnit};
use crate::hosted::Hosting;

/// The row a provider's calls go through, for each of `specs` the workspace can use.
/// Providers without any custom row get Dify's invalid placeholder row; hosted providers get
/// their trial row on first resolution.
pub(crate) async fn usable_providers(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    specs: &[&'static ProviderSpec],
) -> Result<HashMap<&'static str, providers::Model>, DbErr> {
    Ok(resolve_all(db, hosting, tenant_id, specs)
        .await?
        .into_iter()
        .filter_map(|(name, r)| match r {
            Resolution::Usable(row) => Some((name, row)),
            Resolution::QuotaExhausted | Resolution::Unusable => None,
        })
        .collect())
}

/// What a provider's calls would go through.
#[derive(Debug, Clone)]
pub(crate) enum Resolution {
    Usable(providers::Model),
    /// The hosted quota is used up and the workspace has no credentials of its own.
    QuotaExhausted,
    Unusable,
}

pub(crate) async fn resolve_all(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    specs: &[&'static ProviderSpec],
) -> Result<HashMap<&'static str, Resolution>, DbErr> {
    let mut rows = rows_of(db, tenant_id, specs).await?;
    let missing: Vec<_> = specs
        .iter()
        .filter(|s| !rows.iter().any(|r| r.provider_name == s.name && r.provider_type == ProviderType::Custom))
        .map(|s| new_custom_row(tenant_id, s.name, None, false))
        .collect();
    let trials: Vec<_> = specs
        .iter()
        .filter(|s| hosting.system_supported(s.name) && s.has_trial())
        .filter(|s| !rows.iter().any(|r| r.provider_name == s.name && is_system(r, QuotaType::Trial)))
        .map(|s| new_trial_row(tenant_id, s))
        .collect();
    let inserted = !missing.is_empty() || !trials.is_empty();
    for batch in [missing, trials].into_iter().filter(|b| !b.is_empty()) {
        // A concurrent resolution may insert the same rows: theirs stand.
        providers::Entity::insert_many(batch)
            .on_conflict_do_nothing_on(provider_key())
            .exec_without_returning(db)
            .await?;
    }
    if inserted {
        rows = rows_of(db, tenant_id, specs).await?;
    }
    let preferences: HashMap<String, ProviderType> = preferred::Entity::find()
        .filter(preferred::Column::TenantId.eq(tenant_id))
        .filter(preferred::Column::ProviderName.is_in(specs.iter().map(|s| s.name)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.provider_name, p.preferred_provider_type))
        .collect();

    let mut out = HashMap::new();
    for spec in specs {
        let own: Vec<&providers::Model> = rows.iter().filter(|r| r.provider_name == spec.name).collect();
        let custom = own.iter().find(|r| r.provider_type == ProviderType::Custom && r.is_valid);
        let preferred = preferred_type(hosting, spec, preferences.get(spec.name).copied(), custom.is_some());
        let mut resolution = match custom {
            Some(row) => Resolution::Usable((*row).clone()),
            None => Resolution::Unusable,
        };
        if preferred == ProviderType::System && hosting.system_supported(spec.name) {
            let quota =
                spec.system.iter().flat_map(|s| QuotaType::ALL.into_iter().filter(|q| s.quota_types.contains(q)));
            let available = quota
                .filter_map(|q| own.iter().find(|r| is_system(r, q)))
                .find(|r| r.is_valid && r.quota_limit.unwrap_or(0) > r.quota_used.unwrap_or(0));
            resolution = match (available, resolution) {
                (Some(row), _) => Resolution::Usable((*row).clone()),
                (None, Resolution::Unusable) => Resolution::QuotaExhausted,
                (None, own_credentials) => own_credentials,
            };
        }
        out.insert(spec.name, resolution);
    }
    Ok(out)
}

/// Dify's `get_preferred_type_by_preferred_model_provider`.
pub(crate) fn preferred_type(
    hosting: &Hosting,
    spec: &ProviderSpec,
    stored: Option<ProviderType>,
    has_valid_custom: bool,
) -> ProviderType {
    if let Some(t) = stored {
        return t;
    }
    if spec.supports(ProviderType::Custom) && has_valid_custom {
        ProviderType::Custom
    } else if spec.supports(ProviderType::System) && hosting.system_supported(spec.name) {
        ProviderType::System
    } else {
        ProviderType::Custom
    }
}

fn is_system(row: &providers::Model, quota: QuotaType) -> bool {
    row.provider_type == ProviderType::System && row.quota_type == Some(quota)
}

async fn rows_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    specs: &[&'static ProviderSpec],
) -> Result<Vec<providers::Model>, DbErr> {
    providers::Entity::find()
        .filter(providers::Column::TenantId.eq(tenant_id))
        .filter(providers::Column::ProviderName.is_in(specs.iter().map(|s| s.name)))
        .all(db)
        .await
}

fn new_trial_row(tenant_id: Uuid, spec: &ProviderSpec) -> providers::ActiveModel {
    let now = now_naive();
    providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        provider_name: Set(spec.name.to_owned()),
        provider_type: Set(ProviderType::System),
        encrypted_config: Set(None),
        is_valid: Set(true),
        last_used: Set(None),
        quota_type: Set(Some(QuotaType::Trial)),
        quota_limit: Set(spec.system.and_then(|s| s.trial_limit)),
        quota_used: Set(Some(0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The hosted quota a call uses, to be charged once it has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaCharge {
    pub tenant_id: Uuid,
    pub provider: &'static str,
    pub quota_type: QuotaType,
    pub unit: QuotaUnit,
}

impl QuotaCharge {
    /// The charge of calls through `row`, when they count (a hosted row and a limit set by the
    /// operator).
    pub(crate) fn for_row(hosting: &Hosting, spec: &ProviderSpec, row: &providers::Model) -> Option<Self> {
        if row.provider_type != ProviderType::System || !hosting.counts_quota(spec.name) {
            return None;
        }
        Some(Self {
            tenant_id: row.tenant_id,
            provider: spec.name,
            quota_type: row.quota_type.unwrap_or(QuotaType::NotHosted),
            unit: spec.system.map_or(QuotaUnit::Times, |s| s.unit),
        })
    }
}

/// Uses up quota for one call of `total_tokens` tokens (Dify's `deduct_quota`): one unit per
/// call, or its tokens. A quota already used up is left as it is.
pub async fn charge_quota(db: &impl ConnectionTrait, charge: &QuotaCharge, total_tokens: i64) -> Result<(), DbErr> {
    let amount = match charge.unit {
        QuotaUnit::Times => 1,
        QuotaUnit::Tokens => Ord::max(total_tokens, 0),
    };
    providers::Entity::update_many()
        .col_expr(providers::Column::QuotaUsed, Expr::col(providers::Column::QuotaUsed).add(amount))
        .filter(providers::Column::TenantId.eq(charge.tenant_id))
        .filter(providers::Column::ProviderName.eq(charge.provider))
        .filter(providers::Column::ProviderType.eq(ProviderType::System))
        .filter(providers::Column::QuotaType.eq(charge.quota_type))
        .filter(Expr::col(providers::Column::QuotaLimit).gt(Expr::col(providers::Column::QuotaUsed)))
        .exec(db)
        .await?;
    Ok(())
}

/// One hosted trial quota rescaled by [`sync_anthropic_trials`]: the old limit and use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedTrial {
    pub tenant_id: Uuid,
    pub old_limit: Option<i64>,
    pub old_used: Option<i64>,
}

/// Dify's `sync-anthropic-hosted-providers`: every Anthropic trial quota whose limit is not
/// `new_limit` is rescaled by `ceil(new_limit / 1000)` — a limit of exactly 1000 (the old
/// default) becomes `new_limit`, any other limit and every use are multiplied — newest
/// first. Each row is its own update, so one bad row leaves the others synced.
pub async fn sync_anthropic_trials(
    db: &impl ConnectionTrait,
    new_limit: i64,
) -> Result<(Vec<SyncedTrial>, Vec<(Uuid, DbErr)>), DbErr> {
    use sea_orm::QueryOrder;
    let rows = providers::Entity::find()
        .filter(providers::Column::ProviderName.eq("anthropic"))
        .filter(providers::Column::ProviderType.eq(ProviderType::System))
        .filter(providers::Column::QuotaType.eq(QuotaType::Trial.as_str()))
        .filter(providers::Column::QuotaLimit.ne(new_limit))
        .order_by_desc(providers::Column::CreatedAt)
        .all(db)
        .await?;
    let division = (new_limit + 999).div_euclid(1000);
    let (mut synced, mut failed) = (Vec::new(), Vec::new());
    for row in rows {
        let limit = match row.quota_limit {
            Some(1000) => new_limit,
            other => other.unwrap_or(0).saturating_mul(division),
        };
        let used = row.quota_used.unwrap_or(0).saturating_mul(division);
        let update = providers::Entity::update_many()
            .col_expr(providers::Column::QuotaLimit, Expr::value(limit))
            .col_expr(providers::Column::QuotaUsed, Expr::value(used))
            .col_expr(providers::Column::UpdatedAt, Expr::value(now_naive()))
            .filter(providers::Column::Id.eq(row.id))
            .exec(db)
            .await;
        match update {
            Ok(_) => synced.push(SyncedTrial {
                tenant_id: row.tenant_id,
                old_limit: row.quota_limit,
                old_used: row.quota_used,
            }),
            Err(e) => failed.push((row.tenant_id, e)),
        }
    }
    Ok((synced, failed))
}

#[cfg(test)]
mod tests {
    #[test]
    fn division_rounds_up() {
        for (limit, division) in [(600_000, 600), (1000, 1), (1001, 2), (0, 0)] {
            assert_eq!(i64::div_euclid(limit + 999, 1000), division, "{limit}");
        }
    }
}
