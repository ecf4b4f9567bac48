//! `gantry serve`'s secrets, scoped by tenant. Every workflow the service runs belongs to a
//! tenant — the one its source names (`tenant = "..."` on a repository, a hook or `[kafka]`),
//! else one named after the source (`repo:owner/name`, `hook:NAME`, `kafka`) — and resolves
//! only that tenant's secrets: its `[tenants.NAME]` mapping and default path, then, only when
//! the tenant says `shared = true`, the command-line values and the top-level mapping and
//! default path. The service's own secrets (`[kafka] secret_options`) come from the top level.
//! One Vault client (one login, one renewal) serves every tenant.

use super::{
    BoxFuture, SecretError, SecretStore, SecretsConfig, StaticStore, VaultRef, VaultStore,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Whose workflow a run is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tenant {
    pub name: String,
    /// The repository the operator configured for the source (`{repository}` in default
    /// paths); never one an event names.
    pub repository: Option<String>,
}

/// Every secret the service knows, to be scoped with [`TenantSecrets::tenant`].
#[derive(Clone, Default)]
pub struct TenantSecrets {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    config: SecretsConfig,
    /// `-s`/`--secret-file` values: shared, like the top-level mapping.
    fixed: StaticStore,
    vault: Option<VaultStore>,
}

/// Where one secret of a scope comes from.
enum Found {
    Value(String),
    Vault(VaultRef),
    /// `GITHUB_TOKEN` nobody provides: empty.
    Token,
    /// Any other secret of a run that gets none (see [`ScopedStore::withholding`]): empty.
    Withheld,
    Missing,
}

impl TenantSecrets {
    pub fn new(config: SecretsConfig, fixed: StaticStore) -> Result<TenantSecrets, SecretError> {
        let vault = match config.uses_vault() {
            true => Some(VaultStore::new(config.clone(), "")?),
            false => None,
        };
        Ok(TenantSecrets {
            inner: Arc::new(Inner {
                config,
                fixed,
                vault,
            }),
        })
    }

    /// The tenants the secrets config has a `[tenants.NAME]` table for.
    pub fn configured(&self) -> impl Iterator<Item = &str> {
        self.inner.config.tenants.keys().map(String::as_str)
    }

    /// The service's own secrets: command-line values and the top-level mapping.
    pub fn service(&self) -> ScopedStore {
        ScopedStore {
            all: self.clone(),
            tenant: None,
            withheld: false,
        }
    }

    /// What the workflows of `tenant` may resolve.
    pub fn tenant(&self, tenant: Tenant) -> ScopedStore {
        ScopedStore {
            all: self.clone(),
            tenant: Some(tenant),
            withheld: false,
        }
    }
}

/// The secrets of one tenant (or of the service itself).
#[derive(Clone)]
pub struct ScopedStore {
    all: TenantSecrets,
    tenant: Option<Tenant>,
    /// Every secret but `GITHUB_TOKEN` reads as empty.
    withheld: bool,
}

/// `name` as a TOML key: bare when it can be, else quoted.
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match bare {
        true => name.to_string(),
        false => format!("{name:?}"),
    }
}

impl ScopedStore {
    pub fn tenant(&self) -> Option<&Tenant> {
        self.tenant.as_ref()
    }

    /// This scope with every secret but `GITHUB_TOKEN` empty, as GitHub gives the
    /// `pull_request` runs of a fork's pull request (code its author wrote): no value is
    /// read, and a workflow that tests `secrets.X != ''` takes its no-secret path.
    pub fn withholding(mut self) -> ScopedStore {
        self.withheld = true;
        self
    }

    fn find(&self, name: &str) -> Found {
        if self.withheld && name != "GITHUB_TOKEN" {
            return Found::Withheld;
        }
        let inner = &self.all.inner;
        let (shared, repository) = match &self.tenant {
            None => (true, None),
            Some(t) => {
                let repo = t.repository.as_deref();
                if let Some(r) = inner.config.tenant_reference(&t.name, name, repo) {
                    return Found::Vault(r);
                }
                (inner.config.tenant_shares(&t.name), repo)
            }
        };
        if shared {
            if let Some(v) = inner.fixed.values.get(name) {
                return Found::Value(v.clone());
            }
            if let Some(r) = inner.config.shared_reference(name, repository) {
                return Found::Vault(r);
            }
        }
        match name == "GITHUB_TOKEN" {
            true => Found::Token,
            false => Found::Missing,
        }
    }

    fn missing(&self, name: &str) -> SecretError {
        match &self.tenant {
            Some(t) => SecretError::NotForTenant {
                name: name.to_string(),
                tenant: t.name.clone(),
                key: toml_key(&t.name),
            },
            None => SecretError::NotConfigured {
                name: name.to_string(),
            },
        }
    }

    /// Whether every name has a source in this scope, without reading any value: the
    /// service checks a run's secrets with it before anything starts.
    pub fn check(&self, names: &[String]) -> Result<(), SecretError> {
        for n in names {
            let n = n.to_ascii_uppercase();
            if let Found::Missing = self.find(&n) {
                return Err(self.missing(&n));
            }
        }
        Ok(())
    }

    pub async fn fetch(&self, names: &[String]) -> Result<BTreeMap<String, String>, SecretError> {
        let mut out = BTreeMap::new();
        let mut refs = Vec::new();
        for n in names {
            let n = n.to_ascii_uppercase();
            match self.find(&n) {
                Found::Value(v) => {
                    out.insert(n, v);
                }
                Found::Vault(r) => refs.push((n, r)),
                Found::Token | Found::Withheld => {
                    out.insert(n, String::new());
                }
                Found::Missing => return Err(self.missing(&n)),
            }
        }
        if let Some((name, _)) = refs.first() {
            let vault = self
                .all
                .inner
                .vault
                .as_ref()
                .ok_or_else(|| SecretError::NotConfigured { name: name.clone() })?;
            out.extend(vault.fetch_refs(refs).await?);
        }
        Ok(out)
    }
}

impl SecretStore for ScopedStore {
    fn resolve<'a>(
        &'a self,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<BTreeMap<String, String>, SecretError>> {
        Box::pin(self.fetch(names))
    }

    fn describe(&self, name: &str) -> String {
        let n = name.to_ascii_uppercase();
        match self.find(&n) {
            Found::Value(_) => self.all.inner.fixed.source.clone(),
            Found::Vault(r) => format!("vault {r}"),
            Found::Token => "provided by gantry (a token of the run unless given)".into(),
            Found::Withheld => "withheld: empty, as GitHub gives a fork's pull request".into(),
            Found::Missing => self.missing(&n).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> TenantSecrets {
        let cfg = SecretsConfig::parse(
            r#"
[vault]
address = "http://127.0.0.1:9"
[secrets]
SERVICE_ONLY = "secret/data/service#x"
[tenants.acme.secrets]
DEPLOY = "secret/data/acme#deploy"
[tenants."hook:b"]
shared = true
"#,
        )
        .unwrap();
        let fixed = StaticStore::new(
            BTreeMap::from([("CLI".to_string(), "cli-value".to_string())]),
            "command line",
        );
        TenantSecrets::new(cfg, fixed).unwrap()
    }

    fn tenant(name: &str) -> Tenant {
        Tenant {
            name: name.into(),
            repository: None,
        }
    }

    #[tokio::test]
    async fn a_tenant_resolves_only_its_own_and_errors_name_secret_and_tenant() {
        let all = secrets();
        let acme = all.tenant(tenant("acme"));
        assert!(acme
            .check(&["deploy".into(), "GITHUB_TOKEN".into()])
            .is_ok());
        for other in ["SERVICE_ONLY", "CLI"] {
            let e = acme.fetch(&[other.into()]).await.unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{other}`")) && e.contains("`acme`"),
                "{e}"
            );
            assert!(!e.contains("cli-value"), "{e}");
        }
        let e = all.tenant(tenant("hook:c")).check(&["DEPLOY".into()]);
        let e = e.unwrap_err().to_string();
        assert!(
            e.contains("tenant `hook:c`") && e.contains("[tenants.\"hook:c\".secrets]"),
            "{e}"
        );
        assert_eq!(
            acme.fetch(&["GITHUB_TOKEN".into()]).await.unwrap()["GITHUB_TOKEN"],
            ""
        );
    }

    #[tokio::test]
    async fn shared_tenants_and_the_service_see_the_top_level() {
        let all = secrets();
        let b = all.tenant(tenant("hook:b"));
        assert_eq!(b.fetch(&["cli".into()]).await.unwrap()["CLI"], "cli-value");
        assert_eq!(b.describe("SERVICE_ONLY"), "vault secret/data/service#x");
        assert!(b.check(&["DEPLOY".into()]).is_err());
        let service = all.service();
        assert_eq!(service.describe("CLI"), "command line");
        assert!(service.check(&["SERVICE_ONLY".into()]).is_ok());
        assert!(matches!(
            service.check(&["DEPLOY".into()]),
            Err(SecretError::NotConfigured { .. })
        ));
    }

    #[tokio::test]
    async fn a_withholding_scope_reads_every_secret_as_empty_without_a_source() {
        let all = secrets();
        // The Vault at 127.0.0.1:9 is never asked: a withheld secret reads nothing.
        let fork = all.service().withholding();
        let names = ["CLI".to_string(), "SERVICE_ONLY".into(), "NOWHERE".into()];
        assert!(fork.check(&names).is_ok());
        let values = fork.fetch(&names).await.unwrap();
        assert!(values.values().all(String::is_empty), "{values:?}");
        assert_eq!(values.len(), 3);
        assert!(fork.describe("CLI").starts_with("withheld"));
        let token = fork.fetch(&["GITHUB_TOKEN".into()]).await.unwrap();
        assert_eq!(token["GITHUB_TOKEN"], "");
        assert_eq!(
            fork.describe("GITHUB_TOKEN"),
            all.service().describe("GITHUB_TOKEN")
        );
    }
}
