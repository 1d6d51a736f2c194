//! Indexes for dify-rs's hot lookups that Dify never created.
//!
//! `IF NOT EXISTS` lets this run on a database Dify created and we adopted. Lookups
//! already served by a Dify index (same columns, or these columns as its leading ones)
//! get nothing here: messages (app_id, created_at), api_tokens (token) and sites (code)
//! lead `api_token_token_idx` / `site_code_idx`, message_feedbacks (message_id),
//! document_segments (dataset_id, index_node_id), installed_apps (tenant_id) and
//! tenant_account_joins (account_id).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

struct HotIndex {
    table: &'static str,
    name: &'static str,
    cols: &'static [&'static str],
}

const HOT_INDEXES: &[HotIndex] = &[
    // Conversation lists in the console logs and the web app sidebar.
    HotIndex {
        table: "conversations",
        name: "conversation_app_source_deleted_created_idx",
        cols: &["app_id", "from_source", "is_deleted", "created_at"],
    },
    HotIndex {
        table: "conversations",
        name: "conversation_app_end_user_created_idx",
        cols: &["app_id", "from_end_user_id", "created_at"],
    },
    // Message history of one conversation, newest first, paged by created_at.
    HotIndex { table: "messages", name: "message_conversation_created_idx", cols: &["conversation_id", "created_at"] },
    // End-user lookup on every web-app and service-API request.
    HotIndex { table: "end_users", name: "end_user_app_type_session_idx", cols: &["app_id", "type", "session_id"] },
    // Document lists ordered by position, and batch indexing-status polls.
    HotIndex { table: "documents", name: "document_dataset_position_idx", cols: &["dataset_id", "position"] },
    HotIndex { table: "documents", name: "document_dataset_batch_idx", cols: &["dataset_id", "batch"] },
    // Segment pages of one document in order.
    HotIndex {
        table: "document_segments",
        name: "document_segment_document_position_idx",
        cols: &["document_id", "position"],
    },
    // "My saved messages" / "my pinned conversations" of one user in one app.
    HotIndex {
        table: "saved_messages",
        name: "saved_message_app_creator_idx",
        cols: &["app_id", "created_by_role", "created_by"],
    },
    HotIndex {
        table: "pinned_conversations",
        name: "pinned_conversation_app_creator_idx",
        cols: &["app_id", "created_by_role", "created_by"],
    },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for hot in HOT_INDEXES {
            let mut index = Index::create();
            index.if_not_exists().name(hot.name).table(hot.table);
            for col in hot.cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for hot in HOT_INDEXES.iter().rev() {
            manager.drop_index(Index::drop().if_exists().name(hot.name).table(hot.table).to_owned()).await?;
        }
        Ok(())
    }
}
