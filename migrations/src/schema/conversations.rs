//! Conversations, messages and everything recorded about them.
//!
//! Dify's models declare `messages.conversation_id` and
//! `message_annotations.conversation_id` as foreign keys, but its migrations never
//! created those constraints; neither do we, so both schemas stay identical.

use super::*;

/// Dify's unit-price default: prices are quoted per 1000 tokens.
const PRICE_UNIT: &str = "0.001";

pub(super) fn tables(cx: &Cx) -> Vec<TableSpec> {
    vec![
        TableSpec::new(
            "conversations",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(uuid("app_model_config_id").not_null())
                .col(varchar("model_provider", 255).not_null())
                .col(text("override_model_configs"))
                .col(varchar("model_id", 255).not_null())
                .col(varchar("mode", 255).not_null())
                .col(varchar("name", 255).not_null())
                .col(text("summary"))
                .col(json("inputs"))
                .col(text("introduction"))
                .col(text("system_instruction"))
                .col(int("system_instruction_tokens").not_null().default(0))
                .col(varchar("status", 255).not_null())
                .col(varchar("from_source", 255).not_null())
                .col(uuid("from_end_user_id"))
                .col(uuid("from_account_id"))
                .col(timestamp("read_at"))
                .col(uuid("read_account_id"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(boolean("is_deleted").not_null().default(false))
                .primary_key(&mut pk("conversation_pkey", &["id"])),
        )
        .index("conversation_app_from_user_idx", &["app_id", "from_source", "from_end_user_id"]),
        TableSpec::new(
            "messages",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(varchar("model_provider", 255).not_null())
                .col(varchar("model_id", 255).not_null())
                .col(text("override_model_configs"))
                .col(uuid("conversation_id").not_null())
                .col(json("inputs"))
                .col(text("query").not_null())
                .col(json("message").not_null())
                .col(int("message_tokens").not_null().default(0))
                .col(numeric("message_unit_price", 10, 4).not_null())
                .col(text("answer").not_null())
                .col(int("answer_tokens").not_null().default(0))
                .col(numeric("answer_unit_price", 10, 4).not_null())
                .col(float("provider_response_latency").not_null().default(0))
                .col(numeric("total_price", 10, 7))
                .col(varchar("currency", 255).not_null())
                .col(varchar("from_source", 255).not_null())
                .col(uuid("from_end_user_id"))
                .col(uuid("from_account_id"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(boolean("agent_based").not_null().default(false))
                .col(numeric("message_price_unit", 10, 7).not_null().default(Expr::cust(PRICE_UNIT)))
                .col(numeric("answer_price_unit", 10, 7).not_null().default(Expr::cust(PRICE_UNIT)))
                .primary_key(&mut pk("message_pkey", &["id"])),
        )
        .index("message_account_idx", &["app_id", "from_source", "from_account_id"])
        .index("message_app_id_idx", &["app_id", "created_at"])
        .index("message_conversation_id_idx", &["conversation_id"])
        .index("message_end_user_idx", &["app_id", "from_source", "from_end_user_id"]),
        TableSpec::new(
            "message_feedbacks",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(uuid("conversation_id").not_null())
                .col(uuid("message_id").not_null())
                .col(varchar("rating", 255).not_null())
                .col(text("content"))
                .col(varchar("from_source", 255).not_null())
                .col(uuid("from_end_user_id"))
                .col(uuid("from_account_id"))
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("message_feedback_pkey", &["id"])),
        )
        .index("message_feedback_app_idx", &["app_id"])
        .index("message_feedback_conversation_idx", &["conversation_id", "from_source", "rating"])
        .index("message_feedback_message_idx", &["message_id", "from_source"]),
        TableSpec::new(
            "message_annotations",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(uuid("conversation_id").not_null())
                .col(uuid("message_id").not_null())
                .col(text("content").not_null())
                .col(uuid("account_id").not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("message_annotation_pkey", &["id"])),
        )
        .index("message_annotation_app_idx", &["app_id"])
        .index("message_annotation_conversation_idx", &["conversation_id"])
        .index("message_annotation_message_idx", &["message_id"]),
        TableSpec::new(
            "message_chains",
            Table::create()
                .col(cx.id())
                .col(uuid("message_id").not_null())
                .col(varchar("type", 255).not_null())
                .col(text("input"))
                .col(text("output"))
                .col(cx.now_micros("created_at"))
                .primary_key(&mut pk("message_chain_pkey", &["id"])),
        )
        .index("message_chain_message_id_idx", &["message_id"]),
        TableSpec::new(
            "message_agent_thoughts",
            Table::create()
                .col(cx.id())
                .col(uuid("message_id").not_null())
                .col(uuid("message_chain_id").not_null())
                .col(int("position").not_null())
                .col(text("thought"))
                .col(text("tool"))
                .col(text("tool_input"))
                .col(text("observation"))
                .col(text("tool_process_data"))
                .col(text("message"))
                .col(int("message_token"))
                .col(numeric_unbounded("message_unit_price"))
                .col(text("answer"))
                .col(int("answer_token"))
                .col(numeric_unbounded("answer_unit_price"))
                .col(int("tokens"))
                .col(numeric_unbounded("total_price"))
                .col(varchar_unbounded("currency"))
                .col(float("latency"))
                .col(varchar_unbounded("created_by_role").not_null())
                .col(uuid("created_by").not_null())
                .col(cx.now_micros("created_at"))
                .col(numeric("message_price_unit", 10, 7).not_null().default(Expr::cust(PRICE_UNIT)))
                .col(numeric("answer_price_unit", 10, 7).not_null().default(Expr::cust(PRICE_UNIT)))
                .primary_key(&mut pk("message_agent_thought_pkey", &["id"])),
        )
        .index("message_agent_thought_message_chain_id_idx", &["message_chain_id"])
        .index("message_agent_thought_message_id_idx", &["message_id"]),
        TableSpec::new(
            "dataset_retriever_resources",
            Table::create()
                .col(cx.id())
                .col(uuid("message_id").not_null())
                .col(int("position").not_null())
                .col(uuid("dataset_id").not_null())
                .col(text("dataset_name").not_null())
                .col(uuid("document_id").not_null())
                .col(text("document_name").not_null())
                .col(text("data_source_type").not_null())
                .col(uuid("segment_id").not_null())
                .col(float("score"))
                .col(text("content").not_null())
                .col(int("hit_count"))
                .col(int("word_count"))
                .col(int("segment_position"))
                .col(text("index_node_hash"))
                .col(text("retriever_from").not_null())
                .col(uuid("created_by").not_null())
                .col(cx.now_micros("created_at"))
                .primary_key(&mut pk("dataset_retriever_resource_pkey", &["id"])),
        )
        .index("dataset_retriever_resource_message_id_idx", &["message_id"]),
        TableSpec::new(
            "saved_messages",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(uuid("message_id").not_null())
                .col(uuid("created_by").not_null())
                .col(cx.now_secs("created_at"))
                .col(varchar("created_by_role", 255).not_null().default("end_user"))
                .primary_key(&mut pk("saved_message_pkey", &["id"])),
        )
        .index("saved_message_message_idx", &["app_id", "message_id", "created_by_role", "created_by"]),
        TableSpec::new(
            "pinned_conversations",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(uuid("conversation_id").not_null())
                .col(uuid("created_by").not_null())
                .col(cx.now_secs("created_at"))
                .col(varchar("created_by_role", 255).not_null().default("end_user"))
                .primary_key(&mut pk("pinned_conversation_pkey", &["id"])),
        )
        .index("pinned_conversation_conversation_idx", &["app_id", "conversation_id", "created_by_role", "created_by"]),
    ]
}
