//! The service API (`/v1`): what apps' backends call with an `app-…` key, and datasets'
//! with a `ds-…` key.

mod conversations;
mod documents;
mod generation;
pub mod guard;
mod messages;
mod parameters;

use crate::routes::RouteTable;

pub fn register(t: &mut RouteTable) {
    parameters::register(t);
    generation::register(t);
    conversations::register(t);
    messages::register(t);
    documents::register(t);
}
