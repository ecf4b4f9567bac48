//! Host paths out of ingress answers. A webhook's answer names the workflows it matched and
//! why others did not; for named hooks those names and reasons are built from files on this
//! host (the hook's workflow directory, a read error naming it). Senders are not trusted:
//! every configured directory (data, scratch, hook workflows and workspaces, local
//! repositories, the secrets mapping, Kafka workflows), as written and as resolved, is
//! replaced in the answer by a label (`hooks/deploy`, the repository's name, `<data_dir>`).
//! The runs API answers go through the same replacement.

use super::config::ServeConfig;
use serde_json::Value;
use std::path::Path;

/// (host path, label), longest path first so nested paths get the most specific label.
pub fn host_paths(cfg: &ServeConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |p: &Path, label: String| {
        let forms = [
            Some(p.to_path_buf()),
            std::path::absolute(p).ok(),
            p.canonicalize().ok(),
        ];
        for f in forms.into_iter().flatten() {
            let s = f.display().to_string();
            let s = s.trim_end_matches('/');
            if s.len() > 1 && s != "." {
                out.push((s.to_string(), label.clone()));
            }
        }
    };
    add(&cfg.data_dir, "<data_dir>".into());
    for (name, h) in &cfg.hooks {
        add(&h.workflows, format!("hooks/{name}"));
        if let Some(w) = &h.workspace {
            add(w, format!("<hook {name} workspace>"));
        }
    }
    for r in &cfg.repositories {
        if let Some(p) = &r.path {
            add(p, r.name.clone());
        }
    }
    if let Some(p) = &cfg.secrets_config {
        add(p, "<secrets_config>".into());
    }
    if let Some(p) = &cfg.scratch_dir {
        add(p, "<scratch_dir>".into());
    }
    if let Some(p) = cfg.kafka.as_ref().and_then(|k| k.workflows.as_ref()) {
        add(p, "<kafka workflows>".into());
    }
    out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    out.dedup();
    out
}

fn replace_all(s: &str, paths: &[(String, String)]) -> String {
    let mut s = s.to_string();
    for (path, label) in paths {
        if s.contains(path.as_str()) {
            s = s.replace(path.as_str(), label);
        }
    }
    s
}

/// Every string in `v` with the configured host paths replaced (API answers: a run's
/// workflow file of a named hook is a path on this host).
pub fn walk(v: &mut Value, paths: &[(String, String)]) {
    match v {
        Value::String(s) => *s = replace_all(s, paths),
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, paths)),
        Value::Object(o) => o.values_mut().for_each(|x| walk(x, paths)),
        _ => {}
    }
}

/// `answer` (JSON, or any text) with the configured host paths replaced by their labels.
pub fn redact(answer: &str, paths: &[(String, String)]) -> String {
    match serde_json::from_str::<Value>(answer) {
        Ok(mut v) => {
            walk(&mut v, paths);
            v.to_string()
        }
        Err(_) => replace_all(answer, paths),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_directories_become_labels() {
        let cfg = ServeConfig::parse(
            "data_dir = \"/srv/gantry/data\"\n[hooks.deploy]\ntoken = \"t\"\nworkflows = \"/srv/gantry/hooks/deploy\"\n[[repositories]]\nname = \"o/r\"\npath = \"/srv/git/r.git\"\n",
        )
        .unwrap();
        let paths = host_paths(&cfg);
        let answer = serde_json::json!({
            "runs": [{ "id": 1, "workflow": "/srv/gantry/hooks/deploy/a.yml" }],
            "not_matched": [{ "reasons": ["/srv/gantry/hooks/deploy: No such file or directory", "fatal: /srv/git/r.git bad"] }],
            "note": "/srv/gantry/data/runs"
        })
        .to_string();
        let out = redact(&answer, &paths);
        assert!(!out.contains("/srv/"), "{out}");
        assert!(out.contains("hooks/deploy/a.yml"), "{out}");
        assert!(
            out.contains("fatal: o/r bad") && out.contains("<data_dir>/runs"),
            "{out}"
        );
        assert_eq!(redact("at /srv/git/r.git", &paths), "at o/r");
    }
}
