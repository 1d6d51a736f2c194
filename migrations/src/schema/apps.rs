//! Apps and what hangs off them: model configs, web sites, API keys, end users,
//! the explore catalogue and installed apps.

use super::*;

pub(super) fn tables(cx: &Cx) -> Vec<TableSpec> {
    vec![
        TableSpec::new(
            "apps",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("name", 255).not_null())
                .col(varchar("mode", 255).not_null())
                .col(varchar("icon", 255))
                .col(varchar("icon_background", 255))
                .col(uuid("app_model_config_id"))
                .col(varchar("status", 255).not_null().default("normal"))
                .col(boolean("enable_site").not_null())
                .col(boolean("enable_api").not_null())
                .col(int("api_rpm").not_null())
                .col(int("api_rph").not_null())
                .col(boolean("is_demo").not_null().default(false))
                .col(boolean("is_public").not_null().default(false))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(boolean("is_universal").not_null().default(false))
                .primary_key(&mut pk("app_pkey", &["id"])),
        )
        .index("app_tenant_id_idx", &["tenant_id"]),
        // The feature columns hold JSON as text; `provider`, `model_id` and `configs`
        // are legacy and written as '' / '' / {}.
        TableSpec::new(
            "app_model_configs",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(varchar("provider", 255).not_null())
                .col(varchar("model_id", 255).not_null())
                .col(json("configs").not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(text("opening_statement"))
                .col(text("suggested_questions"))
                .col(text("suggested_questions_after_answer"))
                .col(text("more_like_this"))
                .col(text("model"))
                .col(text("user_input_form"))
                .col(text("pre_prompt"))
                .col(text("agent_mode"))
                .col(text("speech_to_text"))
                .col(text("sensitive_word_avoidance"))
                .col(text("retriever_resource"))
                .primary_key(&mut pk("app_model_config_pkey", &["id"])),
        )
        .index("app_app_id_idx", &["app_id"]),
        TableSpec::new(
            "sites",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(varchar("title", 255).not_null())
                .col(varchar("icon", 255))
                .col(varchar("icon_background", 255))
                .col(varchar("description", 255))
                .col(varchar("default_language", 255).not_null())
                .col(varchar("copyright", 255))
                .col(varchar("privacy_policy", 255))
                .col(varchar("customize_domain", 255))
                .col(varchar("customize_token_strategy", 255).not_null())
                .col(boolean("prompt_public").not_null().default(false))
                .col(varchar("status", 255).not_null().default("normal"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(varchar("code", 255))
                .primary_key(&mut pk("site_pkey", &["id"])),
        )
        .index("site_app_id_idx", &["app_id"])
        .index("site_code_idx", &["code", "status"]),
        TableSpec::new(
            "api_tokens",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id"))
                .col(uuid("dataset_id"))
                .col(varchar("type", 16).not_null())
                .col(varchar("token", 255).not_null())
                .col(timestamp("last_used_at"))
                .col(cx.now_secs("created_at"))
                .primary_key(&mut pk("api_token_pkey", &["id"])),
        )
        .index("api_token_app_id_type_idx", &["app_id", "type"])
        .index("api_token_token_idx", &["token", "type"]),
        TableSpec::new(
            "api_requests",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(uuid("api_token_id").not_null())
                .col(varchar("path", 255).not_null())
                .col(text("request"))
                .col(text("response"))
                .col(varchar("ip", 255).not_null())
                .col(cx.now_secs("created_at"))
                .primary_key(&mut pk("api_request_pkey", &["id"])),
        )
        .index("api_request_token_idx", &["tenant_id", "api_token_id"]),
        TableSpec::new(
            "end_users",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(uuid("app_id"))
                .col(varchar("type", 255).not_null())
                .col(varchar("external_user_id", 255))
                .col(varchar("name", 255))
                .col(boolean("is_anonymous").not_null().default(true))
                .col(varchar("session_id", 255).not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("end_user_pkey", &["id"])),
        )
        .index("end_user_session_id_idx", &["session_id", "type"])
        .index("end_user_tenant_session_id_idx", &["tenant_id", "session_id", "type"]),
        TableSpec::new(
            "recommended_apps",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(json("description").not_null())
                .col(varchar("copyright", 255).not_null())
                .col(varchar("privacy_policy", 255).not_null())
                .col(varchar("category", 255).not_null())
                .col(int("position").not_null())
                .col(boolean("is_listed").not_null())
                .col(int("install_count").not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(varchar("language", 255).not_null().default("en-US"))
                .primary_key(&mut pk("recommended_app_pkey", &["id"])),
        )
        .index("recommended_app_app_id_idx", &["app_id"])
        .index("recommended_app_is_listed_idx", &["is_listed", "language"]),
        TableSpec::new(
            "installed_apps",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(uuid("app_id").not_null())
                .col(uuid("app_owner_tenant_id").not_null())
                .col(int("position").not_null())
                .col(boolean("is_pinned").not_null().default(false))
                .col(timestamp("last_used_at"))
                .col(cx.now_secs("created_at"))
                .primary_key(&mut pk("installed_app_pkey", &["id"]))
                .index(&mut unique("unique_tenant_app", &["tenant_id", "app_id"])),
        )
        .index("installed_app_app_id_idx", &["app_id"])
        .index("installed_app_tenant_id_idx", &["tenant_id"]),
    ]
}
