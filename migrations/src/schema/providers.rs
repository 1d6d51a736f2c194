//! Model providers and their credentials, per-model settings, quota orders and tool
//! providers.

use super::*;

pub(super) fn tables(cx: &Cx) -> Vec<TableSpec> {
    vec![
        TableSpec::new(
            "providers",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("provider_name", 40).not_null())
                .col(varchar("provider_type", 40).not_null().default("custom"))
                .col(text("encrypted_config"))
                .col(boolean("is_valid").not_null().default(false))
                .col(timestamp("last_used"))
                .col(varchar("quota_type", 40).default(""))
                .col(bigint("quota_limit"))
                .col(bigint("quota_used"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("provider_pkey", &["id"]))
                .index(&mut unique(
                    "unique_provider_name_type_quota",
                    &["tenant_id", "provider_name", "provider_type", "quota_type"],
                )),
        )
        .index("provider_tenant_id_provider_idx", &["tenant_id", "provider_name"]),
        TableSpec::new(
            "provider_models",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("provider_name", 40).not_null())
                .col(varchar("model_name", 40).not_null())
                .col(varchar("model_type", 40).not_null())
                .col(text("encrypted_config"))
                .col(boolean("is_valid").not_null().default(false))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("provider_model_pkey", &["id"]))
                .index(&mut unique(
                    "unique_provider_model_name",
                    &["tenant_id", "provider_name", "model_name", "model_type"],
                )),
        )
        .index("provider_model_tenant_id_provider_idx", &["tenant_id", "provider_name"]),
        TableSpec::new(
            "tenant_default_models",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("provider_name", 40).not_null())
                .col(varchar("model_name", 40).not_null())
                .col(varchar("model_type", 40).not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("tenant_default_model_pkey", &["id"])),
        )
        .index("tenant_default_model_tenant_id_provider_type_idx", &["tenant_id", "provider_name", "model_type"]),
        TableSpec::new(
            "tenant_preferred_model_providers",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("provider_name", 40).not_null())
                .col(varchar("preferred_provider_type", 40).not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("tenant_preferred_model_provider_pkey", &["id"])),
        )
        .index("tenant_preferred_model_provider_tenant_provider_idx", &["tenant_id", "provider_name"]),
        TableSpec::new(
            "provider_orders",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("provider_name", 40).not_null())
                .col(uuid("account_id").not_null())
                .col(varchar("payment_product_id", 191).not_null())
                .col(varchar("payment_id", 191))
                .col(varchar("transaction_id", 191))
                .col(int("quantity").not_null().default(1))
                .col(varchar("currency", 40))
                .col(int("total_amount"))
                .col(varchar("payment_status", 40).not_null().default("wait_pay"))
                .col(timestamp("paid_at"))
                .col(timestamp("pay_failed_at"))
                .col(timestamp("refunded_at"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("provider_order_pkey", &["id"])),
        )
        .index("provider_order_tenant_provider_idx", &["tenant_id", "provider_name"]),
        TableSpec::new(
            "tool_providers",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("tool_name", 40).not_null())
                .col(text("encrypted_credentials"))
                .col(boolean("is_enabled").not_null().default(false))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("tool_provider_pkey", &["id"]))
                .index(&mut unique("unique_tool_provider_tool_name", &["tenant_id", "tool_name"])),
        ),
    ]
}
