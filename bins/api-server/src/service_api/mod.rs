//! The service API (`/v1`): what apps' backends call with an `app-…` key.

mod generation;
pub mod guard;
mod parameters;

use crate::routes::RouteTable;

pub fn register(t: &mut RouteTable) {
    parameters::register(t);
    generation::register(t);
}
