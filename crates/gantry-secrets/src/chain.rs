//! Combining sources: values given on the command line (`-s`, `--secret-file`) win, then
//! Vault for names it has a path for. `GITHUB_TOKEN` is optional (empty when not given).

use super::{BoxFuture, SecretError, SecretStore, VaultStore};
use std::collections::BTreeMap;

/// Values known up front, with a word for where they came from.
#[derive(Clone, Debug, Default)]
pub struct StaticStore {
    pub values: BTreeMap<String, String>,
    pub source: String,
}

impl StaticStore {
    pub fn new(values: BTreeMap<String, String>, source: &str) -> StaticStore {
        StaticStore {
            values: values
                .into_iter()
                .map(|(k, v)| (k.to_ascii_uppercase(), v))
                .collect(),
            source: source.to_string(),
        }
    }
}

#[derive(Default)]
pub struct ChainStore {
    pub fixed: StaticStore,
    pub vault: Option<VaultStore>,
}

impl ChainStore {
    pub async fn fetch(&self, names: &[String]) -> Result<BTreeMap<String, String>, SecretError> {
        let mut out = BTreeMap::new();
        let mut from_vault = Vec::new();
        for n in names {
            let n = n.to_ascii_uppercase();
            if let Some(v) = self.fixed.values.get(&n) {
                out.insert(n, v.clone());
            } else if self
                .vault
                .as_ref()
                .is_some_and(|v| v.reference(&n).is_some())
            {
                from_vault.push(n);
            } else if n == "GITHUB_TOKEN" {
                out.insert(n, String::new());
            } else {
                return Err(SecretError::NotConfigured { name: n });
            }
        }
        if let Some(v) = &self.vault {
            out.extend(v.fetch(&from_vault).await?);
        }
        Ok(out)
    }
}

impl SecretStore for ChainStore {
    fn resolve<'a>(
        &'a self,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<BTreeMap<String, String>, SecretError>> {
        Box::pin(self.fetch(names))
    }

    fn describe(&self, name: &str) -> String {
        let n = name.to_ascii_uppercase();
        if self.fixed.values.contains_key(&n) {
            return self.fixed.source.clone();
        }
        match &self.vault {
            Some(v) if v.reference(&n).is_some() => v.describe(&n),
            _ if n == "GITHUB_TOKEN" => {
                "provided by gantry (a token of the run unless given)".into()
            }
            _ => "not configured".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fixed_values_win_and_unknown_names_fail_by_name() {
        let store = ChainStore {
            fixed: StaticStore::new(
                BTreeMap::from([("api".to_string(), "v1".to_string())]),
                "command line",
            ),
            vault: None,
        };
        let got = store
            .fetch(&["API".into(), "GITHUB_TOKEN".into()])
            .await
            .unwrap();
        assert_eq!(got["API"], "v1");
        assert_eq!(got["GITHUB_TOKEN"], "");
        let e = store.fetch(&["NOPE".into()]).await.unwrap_err().to_string();
        assert!(e.contains("`NOPE`"), "{e}");
        assert_eq!(store.describe("api"), "command line");
    }
}
