//! The whole data model: one sea-orm entity per table of Dify 0.3.23's schema.
//!
//! The DDL lives in the `migration` crate; `column_type` attributes here only mark what
//! sea-orm cannot infer from the Rust type (text, numeric precision, jsonb, bytea).
//! Status, mode, source and type columns are enums (`DeriveActiveEnum`) over the varchar values
//! Dify writes; [`kinds`] holds the ones several tables share.

#[doc(hidden)]
pub mod values;

pub mod kinds;
pub mod known_values;

// Accounts and workspaces
pub mod account_integrates;
pub mod accounts;
pub mod dify_setups;
pub mod invitation_codes;
pub mod operation_logs;
pub mod sessions;
pub mod tenant_account_joins;
pub mod tenants;

// Apps
pub mod api_requests;
pub mod api_tokens;
pub mod app_model_configs;
pub mod apps;
pub mod end_users;
pub mod installed_apps;
pub mod recommended_apps;
pub mod sites;

// Conversations and messages
pub mod conversations;
pub mod dataset_retriever_resources;
pub mod message_agent_thoughts;
pub mod message_annotations;
pub mod message_chains;
pub mod message_feedbacks;
pub mod messages;
pub mod pinned_conversations;
pub mod saved_messages;

// Datasets
pub mod app_dataset_joins;
pub mod data_source_bindings;
pub mod dataset_collection_bindings;
pub mod dataset_keyword_sync;
pub mod dataset_keyword_tables;
pub mod dataset_keywords;
pub mod dataset_process_rules;
pub mod dataset_queries;
pub mod datasets;
pub mod document_indexing_attempts;
pub mod document_segments;
pub mod documents;
pub mod embeddings;
pub mod upload_files;

// Model and tool providers
pub mod provider_models;
pub mod provider_orders;
pub mod providers;
pub mod tenant_default_models;
pub mod tenant_preferred_model_providers;
pub mod tool_providers;

/// Every entity under its table's name, e.g. `Accounts` for `accounts::Entity`.
pub mod prelude {
    pub use crate::account_integrates::Entity as AccountIntegrates;
    pub use crate::accounts::Entity as Accounts;
    pub use crate::api_requests::Entity as ApiRequests;
    pub use crate::api_tokens::Entity as ApiTokens;
    pub use crate::app_dataset_joins::Entity as AppDatasetJoins;
    pub use crate::app_model_configs::Entity as AppModelConfigs;
    pub use crate::apps::Entity as Apps;
    pub use crate::conversations::Entity as Conversations;
    pub use crate::data_source_bindings::Entity as DataSourceBindings;
    pub use crate::dataset_collection_bindings::Entity as DatasetCollectionBindings;
    pub use crate::dataset_keyword_tables::Entity as DatasetKeywordTables;
    pub use crate::dataset_process_rules::Entity as DatasetProcessRules;
    pub use crate::dataset_queries::Entity as DatasetQueries;
    pub use crate::dataset_retriever_resources::Entity as DatasetRetrieverResources;
    pub use crate::datasets::Entity as Datasets;
    pub use crate::dify_setups::Entity as DifySetups;
    pub use crate::document_segments::Entity as DocumentSegments;
    pub use crate::documents::Entity as Documents;
    pub use crate::embeddings::Entity as Embeddings;
    pub use crate::end_users::Entity as EndUsers;
    pub use crate::installed_apps::Entity as InstalledApps;
    pub use crate::invitation_codes::Entity as InvitationCodes;
    pub use crate::message_agent_thoughts::Entity as MessageAgentThoughts;
    pub use crate::message_annotations::Entity as MessageAnnotations;
    pub use crate::message_chains::Entity as MessageChains;
    pub use crate::message_feedbacks::Entity as MessageFeedbacks;
    pub use crate::messages::Entity as Messages;
    pub use crate::operation_logs::Entity as OperationLogs;
    pub use crate::pinned_conversations::Entity as PinnedConversations;
    pub use crate::provider_models::Entity as ProviderModels;
    pub use crate::provider_orders::Entity as ProviderOrders;
    pub use crate::providers::Entity as Providers;
    pub use crate::recommended_apps::Entity as RecommendedApps;
    pub use crate::saved_messages::Entity as SavedMessages;
    pub use crate::sessions::Entity as Sessions;
    pub use crate::sites::Entity as Sites;
    pub use crate::tenant_account_joins::Entity as TenantAccountJoins;
    pub use crate::tenant_default_models::Entity as TenantDefaultModels;
    pub use crate::tenant_preferred_model_providers::Entity as TenantPreferredModelProviders;
    pub use crate::tenants::Entity as Tenants;
    pub use crate::tool_providers::Entity as ToolProviders;
    pub use crate::upload_files::Entity as UploadFiles;
}
