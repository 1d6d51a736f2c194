//! The route table: handlers that exist, plus a 501 for every other contract rule, so the
//! server always answers the whole contract and `admin routes` can print it.

pub mod system;

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{Route, web};
use kernel::{ApiError, Config};

use crate::contract::CONTRACT_ROUTES;
use crate::cors;
use crate::http_error::{HttpError, method_not_allowed};
use crate::text_guard::refuse_nul;

/// The API surface a path belongs to; each has its own CORS policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Surface {
    Console,
    Service,
    Web,
    Root,
}

impl Surface {
    pub const fn prefix(self) -> &'static str {
        match self {
            Surface::Console => "/console/api",
            Surface::Service => "/v1",
            Surface::Web => "/api",
            Surface::Root => "",
        }
    }

    /// The surface a Flask-style path belongs to.
    pub fn of(path: &str) -> Self {
        [Surface::Console, Surface::Service, Surface::Web]
            .into_iter()
            .find(|s| path == s.prefix() || path.starts_with(&format!("{}/", s.prefix())))
            .unwrap_or(Surface::Root)
    }
}

/// One method on one rule.
struct Entry {
    method: &'static str,
    path: &'static str,
    endpoint: &'static str,
    implemented: bool,
    route: Route,
}

/// A row of `admin routes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub endpoint: &'static str,
    pub methods: Vec<&'static str>,
    pub path: &'static str,
    pub implemented: bool,
}

/// One method on one rule, as the OpenAPI documents list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub endpoint: &'static str,
    pub implemented: bool,
}

/// Every route the server answers, keyed by Flask-style path.
#[derive(Default)]
pub struct RouteTable {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for RouteTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteTable").field("entries", &self.entries.len()).finish()
    }
}

/// The full table: implemented handlers first, the rest of the contract as 501.
pub fn table() -> RouteTable {
    let mut t = RouteTable::default();
    system::register(&mut t);
    crate::console::register(&mut t);
    crate::service_api::register(&mut t);
    crate::web_app::register(&mut t);
    crate::openapi::register(&mut t);
    t.fill_contract();
    t
}

impl RouteTable {
    /// Registers `route` (a `web::to(handler)`) for `method` on a Flask-style `path`.
    pub fn add(&mut self, method: &'static str, path: &'static str, endpoint: &'static str, route: Route) {
        self.entries.push(Entry { method, path, endpoint, implemented: true, route });
    }

    /// Adds a 501 for every contract rule and method nobody registered.
    fn fill_contract(&mut self) {
        let taken: BTreeSet<(&str, &str)> = self.entries.iter().map(|e| (e.method, e.path)).collect();
        for rule in CONTRACT_ROUTES {
            for &method in rule.methods {
                if taken.contains(&(method, rule.path)) {
                    continue;
                }
                let endpoint = rule.endpoint;
                let route = web::to(move || async move { HttpError(ApiError::not_implemented(endpoint)) });
                self.entries.push(Entry { method, path: rule.path, endpoint, implemented: false, route });
            }
        }
    }

    /// The table as `flask routes` lists it: one row per rule and endpoint.
    pub fn describe(&self) -> Vec<RouteInfo> {
        let mut rows: BTreeMap<(&str, &str), RouteInfo> = BTreeMap::new();
        for e in &self.entries {
            let row = rows.entry((e.path, e.endpoint)).or_insert_with(|| RouteInfo {
                endpoint: e.endpoint,
                methods: Vec::new(),
                path: e.path,
                implemented: true,
            });
            row.methods.push(e.method);
            row.methods.sort_unstable();
            row.implemented &= e.implemented;
        }
        rows.into_values().collect()
    }

    /// Every method of every rule, in registration order.
    pub fn operations(&self) -> Vec<Operation> {
        self.entries
            .iter()
            .map(|e| Operation { method: e.method, path: e.path, endpoint: e.endpoint, implemented: e.implemented })
            .collect()
    }

    /// Mounts every route under its surface's scope, most specific paths first.
    pub fn mount(self, cfg: &mut web::ServiceConfig, config: &Config) {
        let mut by_surface: BTreeMap<Surface, BTreeMap<&'static str, Vec<Entry>>> = BTreeMap::new();
        for e in self.entries {
            by_surface.entry(Surface::of(e.path)).or_default().entry(e.path).or_default().push(e);
        }
        for (surface, paths) in by_surface {
            let mut paths: Vec<_> = paths.into_iter().collect();
            // Static segments win over variables, as in Werkzeug: `/documents/<id>/processing/pause`
            // must be tried before `/documents/<id>/processing/<action>`.
            paths.sort_by_key(|(p, _)| specificity(p));
            let mut resources = Vec::with_capacity(paths.len());
            for (path, entries) in paths {
                let relative = &path[surface.prefix().len()..];
                let mut resource = web::resource(actix_pattern(relative)).default_service(web::to(method_not_allowed));
                for e in entries {
                    let method = Method::from_bytes(e.method.as_bytes()).unwrap_or(Method::GET);
                    resource = resource.route(e.route.method(method));
                }
                resources.push(resource);
            }
            match surface {
                Surface::Root => {
                    for r in resources {
                        cfg.service(r);
                    }
                }
                // The NUL check sits inside CORS, so its 400s reach browsers on other origins.
                Surface::Console => {
                    cfg.service(
                        scoped(surface, resources)
                            .wrap(from_fn(refuse_nul))
                            .wrap(cors::console(&config.console_cors_allow_origins)),
                    );
                }
                Surface::Web => {
                    cfg.service(
                        scoped(surface, resources)
                            .wrap(from_fn(refuse_nul))
                            .wrap(cors::web(&config.web_api_cors_allow_origins)),
                    );
                }
                Surface::Service => {
                    cfg.service(scoped(surface, resources).wrap(from_fn(refuse_nul)).wrap(cors::service()));
                }
            }
        }
    }
}

fn scoped(surface: Surface, resources: Vec<actix_web::Resource>) -> actix_web::Scope {
    resources.into_iter().fold(web::scope(surface.prefix()), |scope, r| scope.service(r))
}

/// Sort key: per segment 0 for static text, 1 for a variable.
fn specificity(path: &str) -> Vec<u8> {
    path.split('/').map(|s| u8::from(s.starts_with('<'))).collect()
}

const UUID_RE: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// Flask rule syntax to an OpenAPI path template: `<uuid:app_id>` becomes `{app_id}`.
pub fn openapi_path(flask: &str) -> String {
    rewrite_variables(flask, |_, name| format!("{{{name}}}"))
}

/// Flask rule syntax to an actix pattern: `<uuid:x>` matches only a UUID (so other text is a
/// 404, as with Werkzeug's converter), `<string:x>`/`<x>` one segment, `<path:x>` the rest.
pub fn actix_pattern(flask: &str) -> String {
    rewrite_variables(flask, |converter, name| match converter {
        "uuid" => format!("{{{name}:{UUID_RE}}}"),
        "path" => format!("{{{name}:.*}}"),
        _ => format!("{{{name}}}"),
    })
}

/// `flask` with each `<converter:name>` (or `<name>`, a string) replaced by `with(converter, name)`.
fn rewrite_variables(flask: &str, with: impl Fn(&str, &str) -> String) -> String {
    let mut out = String::with_capacity(flask.len());
    let mut rest = flask;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let inner = &rest[start + 1..start + end];
        let (converter, name) = inner.split_once(':').unwrap_or(("string", inner));
        out.push_str(&with(converter, name));
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flask_rules_become_actix_patterns() {
        assert_eq!(actix_pattern("/apps/<uuid:app_id>/name"), format!("/apps/{{app_id:{UUID_RE}}}/name"));
        assert_eq!(actix_pattern("/x/<string:task_id>/stop"), "/x/{task_id}/stop");
        assert_eq!(actix_pattern("/oauth/login/<provider>"), "/oauth/login/{provider}");
        assert_eq!(actix_pattern("/static/<path:filename>"), "/static/{filename:.*}");
        assert_eq!(openapi_path("/apps/<uuid:app_id>/keys/<k>"), "/apps/{app_id}/keys/{k}");
    }

    #[test]
    fn static_segments_sort_before_variables() {
        let mut p = vec!["/d/<uuid:id>/processing/<string:action>", "/d/<uuid:id>/processing/pause", "/d/init"];
        p.sort_by_key(|p| specificity(p));
        assert_eq!(p, vec!["/d/init", "/d/<uuid:id>/processing/pause", "/d/<uuid:id>/processing/<string:action>"]);
    }

    #[test]
    fn every_contract_rule_is_in_the_table() {
        let rows = table().describe();
        for rule in CONTRACT_ROUTES {
            for m in rule.methods {
                assert!(rows.iter().any(|r| r.path == rule.path && r.methods.contains(m)), "{m} {} missing", rule.path);
            }
        }
    }
}
