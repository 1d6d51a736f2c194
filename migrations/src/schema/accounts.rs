//! Accounts, workspaces (tenants), membership, invitation codes, setup and sessions.

use super::*;

pub(super) fn tables(cx: &Cx) -> Vec<TableSpec> {
    vec![
        TableSpec::new(
            "accounts",
            Table::create()
                .col(cx.id())
                .col(varchar("name", 255).not_null())
                .col(varchar("email", 255).not_null())
                .col(varchar("password", 255))
                .col(varchar("password_salt", 255))
                .col(varchar("avatar", 255))
                .col(varchar("interface_language", 255))
                .col(varchar("interface_theme", 255))
                .col(varchar("timezone", 255))
                .col(timestamp("last_login_at"))
                .col(varchar("last_login_ip", 255))
                .col(varchar("status", 16).not_null().default("active"))
                .col(timestamp("initialized_at"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(cx.now_secs("last_active_at"))
                .primary_key(&mut pk("account_pkey", &["id"])),
        )
        .index("account_email_idx", &["email"]),
        TableSpec::new(
            "tenants",
            Table::create()
                .col(cx.id())
                .col(varchar("name", 255).not_null())
                .col(text("encrypt_public_key"))
                .col(varchar("plan", 255).not_null().default("basic"))
                .col(varchar("status", 255).not_null().default("normal"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("tenant_pkey", &["id"])),
        ),
        TableSpec::new(
            "tenant_account_joins",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(uuid("account_id").not_null())
                .col(varchar("role", 16).not_null().default("normal"))
                .col(uuid("invited_by"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("tenant_account_join_pkey", &["id"]))
                .index(&mut unique("unique_tenant_account_join", &["tenant_id", "account_id"])),
        )
        .index("tenant_account_join_account_id_idx", &["account_id"])
        .index("tenant_account_join_tenant_id_idx", &["tenant_id"]),
        TableSpec::new(
            "account_integrates",
            Table::create()
                .col(cx.id())
                .col(uuid("account_id").not_null())
                .col(varchar("provider", 16).not_null())
                .col(varchar("open_id", 255).not_null())
                .col(varchar("encrypted_token", 255).not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("account_integrate_pkey", &["id"]))
                .index(&mut unique("unique_account_provider", &["account_id", "provider"]))
                .index(&mut unique("unique_provider_open_id", &["provider", "open_id"])),
        ),
        TableSpec::new(
            "invitation_codes",
            Table::create()
                .col(cx.serial_id())
                .col(varchar("batch", 255).not_null())
                .col(varchar("code", 32).not_null())
                .col(varchar("status", 16).not_null().default("unused"))
                .col(timestamp("used_at"))
                .col(uuid("used_by_tenant_id"))
                .col(uuid("used_by_account_id"))
                .col(timestamp("deprecated_at"))
                .col(cx.now_secs("created_at"))
                .primary_key(&mut pk("invitation_code_pkey", &["id"])),
        )
        .index("invitation_codes_batch_idx", &["batch"])
        .index("invitation_codes_code_idx", &["code", "status"]),
        TableSpec::new(
            "dify_setups",
            Table::create()
                .col(varchar("version", 255).not_null())
                .col(cx.now_secs("setup_at"))
                .primary_key(&mut pk("dify_setup_pkey", &["version"])),
        ),
        // Flask-Session's table for SESSION_TYPE=sqlalchemy; its constraint names are
        // PostgreSQL's defaults.
        TableSpec::new(
            "sessions",
            Table::create()
                .col(cx.serial_id())
                .col(varchar("session_id", 255))
                .col(bytes("data"))
                .col(timestamp("expiry"))
                .primary_key(&mut pk("sessions_pkey", &["id"]))
                .index(&mut unique("sessions_session_id_key", &["session_id"])),
        ),
        TableSpec::new(
            "operation_logs",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(uuid("account_id").not_null())
                .col(varchar("action", 255).not_null())
                .col(json("content"))
                .col(cx.now_secs("created_at"))
                .col(varchar("created_ip", 255).not_null())
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("operation_log_pkey", &["id"])),
        )
        .index("operation_log_account_action_idx", &["tenant_id", "account_id", "action"]),
    ]
}
