//! Secrets from Vault (or OpenBao) through vaultrs: token or AppRole login (once, on first
//! use), namespaces, KV v1 and v2 reads (each path read once per call), and token renewal
//! in the background for long runs. The only module that names vaultrs.

use super::config::{AuthMethod, SecretsConfig, VaultConfig};
use super::{BoxFuture, SecretError, SecretStore, VaultRef};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Mutex;
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};
use vaultrs::error::ClientError;

pub struct VaultStore {
    cfg: VaultConfig,
    map: SecretsConfig,
    repository: String,
    address: String,
    client: Mutex<Option<Arc<VaultClient>>>,
    renewal: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn read_file(path: &std::path::Path, what: &str) -> Result<String, SecretError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| SecretError::Login {
            method: what.into(),
            message: format!("cannot read {}: {e}", path.display()),
        })
}

fn setting(
    file: &Option<std::path::PathBuf>,
    env: &str,
    what: &str,
) -> Result<String, SecretError> {
    match file {
        Some(p) => read_file(p, what),
        None => std::env::var(env)
            .or_else(|_| std::env::var(env.replace("VAULT_", "BAO_")))
            .map_err(|_| SecretError::Login {
                method: what.into(),
                message: format!("no {env} in the environment and no file configured"),
            }),
    }
}

impl VaultStore {
    /// `repository` fills `{repository}` in the default path.
    pub fn new(map: SecretsConfig, repository: &str) -> Result<VaultStore, SecretError> {
        let cfg = map.vault.clone().unwrap_or_default();
        let address = cfg
            .address
            .clone()
            .or_else(|| std::env::var("VAULT_ADDR").ok())
            .or_else(|| std::env::var("BAO_ADDR").ok())
            .ok_or_else(|| SecretError::Config {
                file: "secrets config".into(),
                message: "no Vault address: set [vault] address or VAULT_ADDR".into(),
            })?;
        Ok(VaultStore {
            cfg,
            map,
            repository: repository.to_string(),
            address,
            client: Mutex::new(None),
            renewal: std::sync::Mutex::new(None),
        })
    }

    fn settings(&self, token: &str) -> Result<VaultClient, SecretError> {
        let mut b = VaultClientSettingsBuilder::default();
        b.address(&self.address).token(token);
        if let Some(ns) = self
            .cfg
            .namespace
            .clone()
            .or_else(|| std::env::var("VAULT_NAMESPACE").ok())
        {
            b.set_namespace(ns);
        }
        let settings = b.build().map_err(|e| SecretError::Config {
            file: "secrets config".into(),
            message: format!("Vault client settings: {e}"),
        })?;
        VaultClient::new(settings).map_err(|e| SecretError::Config {
            file: "secrets config".into(),
            message: format!("Vault client: {e}"),
        })
    }

    async fn client(&self) -> Result<Arc<VaultClient>, SecretError> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let (token, ttl) = match self.cfg.auth {
            AuthMethod::Token => (setting(&self.cfg.token_file, "VAULT_TOKEN", "token")?, 0),
            AuthMethod::Approle => {
                let role_id = setting(&self.cfg.role_id_file, "VAULT_ROLE_ID", "approle")?;
                let secret_id = setting(&self.cfg.secret_id_file, "VAULT_SECRET_ID", "approle")?;
                let anon = self.settings("")?;
                let mount = self.cfg.approle_mount.as_deref().unwrap_or("approle");
                let auth = vaultrs::auth::approle::login(&anon, mount, &role_id, &secret_id)
                    .await
                    .map_err(|e| SecretError::Login {
                        method: format!("approle at auth/{mount}"),
                        message: describe(&e, &self.address),
                    })?;
                (auth.client_token, auth.lease_duration)
            }
        };
        let client = Arc::new(self.settings(&token)?);
        if ttl > 0 {
            self.start_renewal(client.clone(), ttl);
        }
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Renews the token at two thirds of its lifetime, for runs longer than the TTL.
    fn start_renewal(&self, client: Arc<VaultClient>, ttl: u64) {
        let increment = self.cfg.renew_increment.clone();
        let task = tokio::spawn(async move {
            let mut ttl = ttl;
            loop {
                tokio::time::sleep(std::time::Duration::from_secs((ttl * 2 / 3).max(1))).await;
                match vaultrs::token::renew_self(client.as_ref(), increment.as_deref()).await {
                    Ok(a) if a.lease_duration > 0 => ttl = a.lease_duration,
                    _ => return,
                }
            }
        });
        if let Ok(mut r) = self.renewal.lock() {
            if let Some(old) = r.replace(task) {
                old.abort();
            }
        }
    }

    async fn read(
        &self,
        client: &VaultClient,
        r: &VaultRef,
    ) -> Result<Map<String, Value>, ClientError> {
        if r.kv2 {
            vaultrs::kv2::read::<Map<String, Value>>(client, &r.mount, &r.path).await
        } else {
            vaultrs::kv1::get::<Map<String, Value>>(client, &r.mount, &r.path).await
        }
    }

    pub fn reference(&self, name: &str) -> Option<VaultRef> {
        self.map.reference(name, &self.repository)
    }

    /// Reads every name's reference; all must succeed.
    pub async fn fetch(&self, names: &[String]) -> Result<BTreeMap<String, String>, SecretError> {
        let mut refs = Vec::new();
        for n in names {
            let r = self
                .reference(n)
                .ok_or_else(|| SecretError::NotConfigured { name: n.clone() })?;
            refs.push((n.clone(), r));
        }
        self.fetch_refs(refs).await
    }

    /// Reads each (name, reference) pair — each path once; all must succeed.
    pub async fn fetch_refs(
        &self,
        refs: Vec<(String, VaultRef)>,
    ) -> Result<BTreeMap<String, String>, SecretError> {
        if refs.is_empty() {
            return Ok(BTreeMap::new());
        }
        let client = self.client().await?;
        let mut cache: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for (name, r) in refs {
            let path = r.display_path();
            if !cache.contains_key(&path) {
                let data = self
                    .read(&client, &r)
                    .await
                    .map_err(|e| self.read_error(&e, &name, &path))?;
                cache.insert(path.clone(), data);
            }
            let value = cache[&path]
                .get(&r.key)
                .ok_or_else(|| SecretError::MissingKey {
                    name: name.clone(),
                    path: path.clone(),
                    key: r.key.clone(),
                })?;
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(name, text);
        }
        Ok(out)
    }

    fn read_error(&self, e: &ClientError, name: &str, path: &str) -> SecretError {
        let (name, path) = (name.to_string(), path.to_string());
        match e {
            ClientError::APIError { code: 403, .. } => SecretError::PermissionDenied { name, path },
            ClientError::APIError { code: 404, .. } => SecretError::MissingPath { name, path },
            ClientError::RestClientError { .. } => SecretError::Unreachable {
                name,
                address: self.address.clone(),
                message: describe(e, &self.address),
            },
            _ => SecretError::Vault {
                name,
                path,
                message: describe(e, &self.address),
            },
        }
    }
}

/// A client error as text without anything the server might have echoed back from a value.
fn describe(e: &ClientError, address: &str) -> String {
    match e {
        ClientError::APIError { code, errors } => {
            format!("HTTP {code}: {}", errors.join("; "))
        }
        ClientError::RestClientError { .. } => format!("no answer from {address}"),
        other => other.to_string(),
    }
}

impl Drop for VaultStore {
    fn drop(&mut self) {
        if let Ok(mut r) = self.renewal.lock() {
            if let Some(t) = r.take() {
                t.abort();
            }
        }
    }
}

impl SecretStore for VaultStore {
    fn resolve<'a>(
        &'a self,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<BTreeMap<String, String>, SecretError>> {
        Box::pin(self.fetch(names))
    }

    fn describe(&self, name: &str) -> String {
        match self.reference(name) {
            Some(r) => format!("vault {r}"),
            None => "not configured".into(),
        }
    }
}
