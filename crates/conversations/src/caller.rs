//! Who a conversation or message belongs to: a console account or an app's end user.

use uuid::Uuid;

/// The person on the other side of a generation, a feedback or a saved message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A console user (debugging an app, or using an installed app).
    Account(Uuid),
    /// A web-app visitor or a service-API user.
    EndUser(Uuid),
}

impl Caller {
    pub fn id(self) -> Uuid {
        match self {
            Caller::Account(id) | Caller::EndUser(id) => id,
        }
    }

    /// `conversations.from_source` / `messages.from_source`: `console` or `api`.
    pub fn from_source(self) -> entities::kinds::FromSource {
        match self {
            Caller::Account(_) => entities::kinds::FromSource::Console,
            Caller::EndUser(_) => entities::kinds::FromSource::Api,
        }
    }

    /// `created_by_role` of saved messages and pinned conversations.
    pub fn role(self) -> entities::kinds::CreatorRole {
        match self {
            Caller::Account(_) => entities::kinds::CreatorRole::Account,
            Caller::EndUser(_) => entities::kinds::CreatorRole::EndUser,
        }
    }

    pub fn account_id(self) -> Option<Uuid> {
        match self {
            Caller::Account(id) => Some(id),
            Caller::EndUser(_) => None,
        }
    }

    pub fn end_user_id(self) -> Option<Uuid> {
        match self {
            Caller::EndUser(id) => Some(id),
            Caller::Account(_) => None,
        }
    }

    /// The user part of Dify's per-task cache keys: `account-<id>` or `end-user-<id>`.
    pub fn task_key(self) -> String {
        match self {
            Caller::Account(id) => format!("account-{id}"),
            Caller::EndUser(id) => format!("end-user-{id}"),
        }
    }
}
