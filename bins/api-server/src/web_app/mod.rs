//! The web-app API (`/api`): what Dify's embedded web apps call.

mod conversations;
mod generation;
pub mod guard;
mod messages;
mod passport;
mod saved;
mod site;

use crate::routes::RouteTable;

pub fn register(t: &mut RouteTable) {
    passport::register(t);
    site::register(t);
    conversations::register(t);
    messages::register(t);
    saved::register(t);
    generation::register(t);
}
