//! Datasets (knowledge), their documents and segments, uploads, the embedding cache,
//! vector collections and Notion data-source bindings.

use super::*;

pub(super) fn tables(cx: &Cx) -> Vec<TableSpec> {
    vec![
        TableSpec::new(
            "upload_files",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("storage_type", 255).not_null())
                .col(varchar("key", 255).not_null())
                .col(varchar("name", 255).not_null())
                .col(int("size").not_null())
                .col(varchar("extension", 255).not_null())
                .col(varchar("mime_type", 255))
                .col(uuid("created_by").not_null())
                .col(cx.now_secs("created_at"))
                .col(boolean("used").not_null().default(false))
                .col(uuid("used_by"))
                .col(timestamp("used_at"))
                .col(varchar("hash", 255))
                .primary_key(&mut pk("upload_file_pkey", &["id"])),
        )
        .index("upload_file_tenant_idx", &["tenant_id"]),
        // `embedding_model*` keep their server defaults although Alembic later made them
        // nullable (revision 4bcffcd64aa4).
        TableSpec::new(
            "datasets",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("name", 255).not_null())
                .col(text("description"))
                .col(varchar("provider", 255).not_null().default("vendor"))
                .col(varchar("permission", 255).not_null().default("only_me"))
                .col(varchar("data_source_type", 255))
                .col(varchar("indexing_technique", 255))
                .col(text("index_struct"))
                .col(uuid("created_by").not_null())
                .col(cx.now_secs("created_at"))
                .col(uuid("updated_by"))
                .col(cx.now_secs("updated_at"))
                .col(varchar("embedding_model", 255).default("text-embedding-ada-002"))
                .col(varchar("embedding_model_provider", 255).default("openai"))
                .col(uuid("collection_binding_id"))
                .primary_key(&mut pk("dataset_pkey", &["id"])),
        )
        .index("dataset_tenant_idx", &["tenant_id"]),
        TableSpec::new(
            "dataset_process_rules",
            Table::create()
                .col(cx.id())
                .col(uuid("dataset_id").not_null())
                .col(varchar("mode", 255).not_null().default("automatic"))
                .col(text("rules"))
                .col(uuid("created_by").not_null())
                .col(cx.now_secs("created_at"))
                .primary_key(&mut pk("dataset_process_rule_pkey", &["id"])),
        )
        .index("dataset_process_rule_dataset_id_idx", &["dataset_id"]),
        TableSpec::new(
            "documents",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(uuid("dataset_id").not_null())
                .col(int("position").not_null())
                .col(varchar("data_source_type", 255).not_null())
                .col(text("data_source_info"))
                .col(uuid("dataset_process_rule_id"))
                .col(varchar("batch", 255).not_null())
                .col(varchar("name", 255).not_null())
                .col(varchar("created_from", 255).not_null())
                .col(uuid("created_by").not_null())
                .col(uuid("created_api_request_id"))
                .col(cx.now_secs("created_at"))
                .col(timestamp("processing_started_at"))
                .col(text("file_id"))
                .col(int("word_count"))
                .col(timestamp("parsing_completed_at"))
                .col(timestamp("cleaning_completed_at"))
                .col(timestamp("splitting_completed_at"))
                .col(int("tokens"))
                .col(float("indexing_latency"))
                .col(timestamp("completed_at"))
                .col(boolean("is_paused").default(false))
                .col(uuid("paused_by"))
                .col(timestamp("paused_at"))
                .col(text("error"))
                .col(timestamp("stopped_at"))
                .col(varchar("indexing_status", 255).not_null().default("waiting"))
                .col(boolean("enabled").not_null().default(true))
                .col(timestamp("disabled_at"))
                .col(uuid("disabled_by"))
                .col(boolean("archived").not_null().default(false))
                .col(varchar("archived_reason", 255))
                .col(uuid("archived_by"))
                .col(timestamp("archived_at"))
                .col(cx.now_secs("updated_at"))
                .col(varchar("doc_type", 40))
                .col(json("doc_metadata"))
                .col(varchar("doc_form", 255).not_null().default("text_model"))
                .col(varchar("doc_language", 255))
                .primary_key(&mut pk("document_pkey", &["id"])),
        )
        .index("document_dataset_id_idx", &["dataset_id"])
        .index("document_is_paused_idx", &["is_paused"]),
        TableSpec::new(
            "document_segments",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(uuid("dataset_id").not_null())
                .col(uuid("document_id").not_null())
                .col(int("position").not_null())
                .col(text("content").not_null())
                .col(int("word_count").not_null())
                .col(int("tokens").not_null())
                .col(json("keywords"))
                .col(varchar("index_node_id", 255))
                .col(varchar("index_node_hash", 255))
                .col(int("hit_count").not_null())
                .col(boolean("enabled").not_null().default(true))
                .col(timestamp("disabled_at"))
                .col(uuid("disabled_by"))
                .col(varchar("status", 255).not_null().default("waiting"))
                .col(uuid("created_by").not_null())
                .col(cx.now_secs("created_at"))
                .col(timestamp("indexing_at"))
                .col(timestamp("completed_at"))
                .col(text("error"))
                .col(timestamp("stopped_at"))
                .col(text("answer"))
                .col(uuid("updated_by"))
                .col(cx.now_secs("updated_at"))
                .primary_key(&mut pk("document_segment_pkey", &["id"])),
        )
        .index("document_segment_dataset_id_idx", &["dataset_id"])
        .index("document_segment_dataset_node_idx", &["dataset_id", "index_node_id"])
        .index("document_segment_document_id_idx", &["document_id"])
        .index("document_segment_tenant_dataset_idx", &["dataset_id", "tenant_id"])
        .index("document_segment_tenant_document_idx", &["document_id", "tenant_id"]),
        TableSpec::new(
            "dataset_queries",
            Table::create()
                .col(cx.id())
                .col(uuid("dataset_id").not_null())
                .col(text("content").not_null())
                .col(varchar("source", 255).not_null())
                .col(uuid("source_app_id"))
                .col(varchar_unbounded("created_by_role").not_null())
                .col(uuid("created_by").not_null())
                .col(cx.now_micros("created_at"))
                .primary_key(&mut pk("dataset_query_pkey", &["id"])),
        )
        .index("dataset_query_dataset_id_idx", &["dataset_id"]),
        // Dify left this unique constraint unnamed; the name is PostgreSQL's default.
        TableSpec::new(
            "dataset_keyword_tables",
            Table::create()
                .col(cx.id())
                .col(uuid("dataset_id").not_null())
                .col(text("keyword_table").not_null())
                .primary_key(&mut pk("dataset_keyword_table_pkey", &["id"]))
                .index(&mut unique("dataset_keyword_tables_dataset_id_key", &["dataset_id"])),
        )
        .index("dataset_keyword_table_dataset_id_idx", &["dataset_id"]),
        // `embedding_hash_idx` is a unique constraint despite its name.
        TableSpec::new(
            "embeddings",
            Table::create()
                .col(cx.id())
                .col(varchar("hash", 64).not_null())
                .col(bytes("embedding").not_null())
                .col(cx.now_secs("created_at"))
                .col(varchar("model_name", 40).not_null().default("text-embedding-ada-002"))
                .primary_key(&mut pk("embedding_pkey", &["id"]))
                .index(&mut unique("embedding_hash_idx", &["model_name", "hash"])),
        ),
        TableSpec::new(
            "dataset_collection_bindings",
            Table::create()
                .col(cx.id())
                .col(varchar("provider_name", 40).not_null())
                .col(varchar("model_name", 40).not_null())
                .col(varchar("collection_name", 64).not_null())
                .col(cx.now_secs("created_at"))
                .primary_key(&mut pk("dataset_collection_bindings_pkey", &["id"])),
        )
        .index("provider_model_name_idx", &["provider_name", "model_name"]),
        TableSpec::new(
            "app_dataset_joins",
            Table::create()
                .col(cx.id())
                .col(uuid("app_id").not_null())
                .col(uuid("dataset_id").not_null())
                .col(cx.now_micros("created_at"))
                .primary_key(&mut pk("app_dataset_join_pkey", &["id"])),
        )
        .index("app_dataset_join_app_dataset_idx", &["dataset_id", "app_id"]),
        TableSpec::new(
            "data_source_bindings",
            Table::create()
                .col(cx.id())
                .col(uuid("tenant_id").not_null())
                .col(varchar("access_token", 255).not_null())
                .col(varchar("provider", 255).not_null())
                .col(cx.jsonb("source_info").not_null())
                .col(cx.now_secs("created_at"))
                .col(cx.now_secs("updated_at"))
                .col(boolean("disabled").default(false))
                .primary_key(&mut pk("source_binding_pkey", &["id"])),
        )
        .index("source_binding_tenant_id_idx", &["tenant_id"])
        .gin_index_on_pg(cx, "source_info_idx", "source_info"),
    ]
}
