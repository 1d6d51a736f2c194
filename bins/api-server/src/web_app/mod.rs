//! The web-app API (`/api`): what Dify's embedded web apps call.

mod passport;

use crate::routes::RouteTable;

pub fn register(t: &mut RouteTable) {
    passport::register(t);
}
