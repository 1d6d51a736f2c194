//! The console API (`/console/api`): what Dify's web console calls.

mod account;
mod activate;
mod explore;
pub mod guard;
mod login;
mod members;
mod setup;
mod version;
mod workspace;

use crate::routes::RouteTable;

pub fn register(t: &mut RouteTable) {
    setup::register(t);
    login::register(t);
    activate::register(t);
    account::register(t);
    workspace::register(t);
    members::register(t);
    explore::register(t);
    version::register(t);
}
