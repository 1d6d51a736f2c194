//! `admin routes`: the route table in `flask routes` layout.

/// Prints the table, with a status column for what dify-rs answers with 501.
pub fn run() {
    print!("{}", format(&api_server::routes::table().describe()));
}

fn format(rows: &[api_server::routes::RouteInfo]) -> String {
    let methods: Vec<String> = rows.iter().map(|r| r.methods.join(", ")).collect();
    let w_ep = rows.iter().map(|r| r.endpoint.len()).max().unwrap_or(8).max(8);
    let w_m = methods.iter().map(String::len).max().unwrap_or(7).max(7);
    let w_p = rows.iter().map(|r| r.path.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:<w_ep$}  {:<w_m$}  {:<w_p$}  Status\n", "Endpoint", "Methods", "Rule");
    out.push_str(&format!("{}  {}  {}  {}\n", "-".repeat(w_ep), "-".repeat(w_m), "-".repeat(w_p), "-".repeat(15)));
    for (r, m) in rows.iter().zip(&methods) {
        let status = if r.implemented { "ok" } else { "501 not built" };
        out.push_str(&format!("{:<w_ep$}  {:<w_m$}  {:<w_p$}  {status}\n", r.endpoint, m, r.path));
    }
    out
}
