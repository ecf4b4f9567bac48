//! Whose a run is: the tenant of the source its event came from — the `tenant` a
//! `[[repositories]]` entry, a `[hooks.NAME]` table or `[kafka]` names, else one named after
//! the source (`repo:owner/name`, `hook:NAME`, `kafka`) — and the secret names a planned run
//! asks for, checked against the tenant's before anything starts. The tenant also decides the
//! run's queue in the scheduler (see `fair.rs`).

use super::config::ServeConfig;
use gantry_core::expr::{context_refs, parse_template};
use gantry_plan::PassedSecrets;
use gantry_plan::WorkflowPlan;
use gantry_secrets::Tenant;

/// The tenant of an event from `source` (`github`, `hook:NAME`, `kafka`) naming `repository`.
pub fn of(cfg: &ServeConfig, source: &str, repository: Option<&str>) -> Tenant {
    if let Some(name) = source.strip_prefix("hook:") {
        let hook = cfg.hooks.get(name);
        return Tenant {
            name: hook
                .and_then(|h| h.tenant.clone())
                .unwrap_or_else(|| source.to_string()),
            repository: hook.and_then(|h| h.repository.clone()),
        };
    }
    if source == "kafka" {
        let k = cfg.kafka.as_ref();
        return Tenant {
            name: k
                .and_then(|k| k.tenant.clone())
                .unwrap_or_else(|| "kafka".into()),
            repository: k.and_then(|k| k.repository.clone()),
        };
    }
    if source == "github" {
        let name = repository.unwrap_or_default();
        return match cfg.repository(name) {
            Some(r) => Tenant {
                name: r
                    .tenant
                    .clone()
                    .unwrap_or_else(|| format!("repo:{}", r.name)),
                repository: Some(r.name.clone()),
            },
            None => Tenant {
                name: format!("repo:{}", name.to_ascii_lowercase()),
                repository: None,
            },
        };
    }
    Tenant {
        name: source.to_string(),
        repository: None,
    }
}

/// Where tenant `name`'s events come from (the inverse of [`of`]): the hooks and Kafka
/// source that name it (or are named so by default: `hook:NAME`, `kafka`), the repositories
/// that name it (or `repo:owner/name`), and `name` itself as a source (`cli`...).
pub fn origins(cfg: &ServeConfig, name: &str) -> gantry_store::Origins {
    let mut o = gantry_store::Origins::default();
    for (hook, h) in &cfg.hooks {
        let source = format!("hook:{hook}");
        if h.tenant.as_deref().unwrap_or(&source) == name {
            o.sources.push(source);
        }
    }
    if let Some(k) = &cfg.kafka {
        if k.tenant.as_deref().unwrap_or("kafka") == name {
            o.sources.push("kafka".into());
        }
    }
    for r in &cfg.repositories {
        let default = format!("repo:{}", r.name);
        if r.tenant.as_deref().unwrap_or(&default) == name {
            o.repositories.push(r.name.clone());
        }
    }
    if let Some(repo) = name.strip_prefix("repo:") {
        o.repositories.push(repo.to_string());
    }
    o.sources.push(name.to_string());
    o
}

/// Secret names an expression text reads (`${{ secrets.DEPLOY_TOKEN }}`), upper-case.
fn names_in(text: &str, out: &mut Vec<String>) {
    let Ok(t) = parse_template(text) else { return };
    for (e, _) in t.exprs() {
        for r in context_refs(e) {
            if r.name == "secrets" {
                if let Some(n) = r.path.first() {
                    out.push(n.to_ascii_uppercase());
                }
            }
        }
    }
}

/// Every secret name a run resolves: each job's, and for jobs of a called workflow, the
/// caller's secrets the call passes on (`secrets: inherit`, or the mapping's expressions).
pub fn secret_names(plan: &WorkflowPlan) -> Vec<String> {
    let mut out = Vec::new();
    for jp in &plan.jobs {
        let own = jp.secrets.iter().map(|s| s.name.to_ascii_uppercase());
        match jp.call.as_ref().map(|c| &c.secrets) {
            None | Some(PassedSecrets::Inherit) => out.extend(own),
            Some(PassedSecrets::None) => {}
            Some(PassedSecrets::Map(m)) => {
                for name in own {
                    if let Some((_, v)) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(&name)) {
                        names_in(v, &mut out);
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_come_from_the_configured_source() {
        let cfg = ServeConfig::parse(
            "[[repositories]]\nname = \"Octo/Repo\"\npath = \"r\"\ntenant = \"acme\"\n[[repositories]]\nname = \"o/plain\"\npath = \"p\"\n[hooks.a]\nworkflows = \"w\"\ntenant = \"acme\"\nrepository = \"o/hooked\"\n[hooks.b]\nworkflows = \"w\"\n",
        )
        .unwrap();
        let t = of(&cfg, "github", Some("octo/repo"));
        assert_eq!(
            (t.name.as_str(), t.repository.as_deref()),
            ("acme", Some("Octo/Repo"))
        );
        assert_eq!(of(&cfg, "github", Some("o/plain")).name, "repo:o/plain");
        let a = of(&cfg, "hook:a", None);
        assert_eq!(
            (a.name.as_str(), a.repository.as_deref()),
            ("acme", Some("o/hooked"))
        );
        let b = of(&cfg, "hook:b", Some("attacker/chosen"));
        assert_eq!((b.name.as_str(), b.repository), ("hook:b", None));
        assert_eq!(of(&cfg, "kafka", None).name, "kafka");
    }

    #[test]
    fn a_tenant_names_its_origins() {
        let cfg = ServeConfig::parse(
            "[[repositories]]\nname = \"Octo/Repo\"\npath = \"r\"\ntenant = \"acme\"\n[[repositories]]\nname = \"o/plain\"\npath = \"p\"\n[hooks.a]\nworkflows = \"w\"\ntenant = \"acme\"\n[hooks.b]\nworkflows = \"w\"\n",
        )
        .unwrap();
        for (name, sources, repositories) in [
            ("acme", vec!["hook:a", "acme"], vec!["Octo/Repo"]),
            ("hook:b", vec!["hook:b", "hook:b"], vec![]),
            (
                "repo:o/plain",
                vec!["repo:o/plain"],
                vec!["o/plain", "o/plain"],
            ),
            ("nobody", vec!["nobody"], vec![]),
        ] {
            let o = origins(&cfg, name);
            assert_eq!(
                (o.sources, o.repositories),
                (
                    sources.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                    repositories
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                ),
                "{name}"
            );
        }
    }
}
