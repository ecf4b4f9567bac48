//! `mount/path#key` references into Vault's KV engines. A path whose second segment is
//! `data` is KV v2 (`secret/data/app#password`: mount `secret`, path `app`); anything else is
//! KV v1 (`kv/app#token`: mount `kv`, path `app`). The key defaults to the secret's name.

/// A reference that cannot be read; Display quotes it and says what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("`{0}`: empty key after `#`")]
    EmptyKey(String),
    #[error("`{0}`: expected mount/path#key, e.g. secret/data/app#password")]
    Shape(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRef {
    pub mount: String,
    pub path: String,
    pub key: String,
    pub kv2: bool,
}

impl VaultRef {
    /// Parses `mount/[data/]path[#key]`; `name` is the key when none is given.
    pub fn parse(text: &str, name: &str) -> Result<VaultRef, RefError> {
        let (full, key) = match text.split_once('#') {
            Some((p, k)) if !k.is_empty() => (p, k.to_string()),
            Some(_) => return Err(RefError::EmptyKey(text.into())),
            None => (text, name.to_string()),
        };
        let full = full.trim_matches('/');
        let mut parts = full.splitn(2, '/');
        let mount = parts.next().unwrap_or_default();
        let rest = parts.next().unwrap_or_default();
        if mount.is_empty() || rest.is_empty() {
            return Err(RefError::Shape(text.into()));
        }
        let (kv2, path) = match rest.strip_prefix("data/") {
            Some(p) if !p.is_empty() => (true, p),
            _ => (false, rest),
        };
        Ok(VaultRef {
            mount: mount.to_string(),
            path: path.to_string(),
            key,
            kv2,
        })
    }

    /// The path as a user writes it (for messages).
    pub fn display_path(&self) -> String {
        if self.kv2 {
            format!("{}/data/{}", self.mount, self.path)
        } else {
            format!("{}/{}", self.mount, self.path)
        }
    }
}

impl std::fmt::Display for VaultRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.display_path(), self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::VaultRef;

    #[test]
    fn kv2_kv1_and_default_keys() {
        let r = VaultRef::parse("secret/data/app#password", "DB").unwrap();
        assert_eq!(
            (r.mount.as_str(), r.path.as_str(), r.key.as_str(), r.kv2),
            ("secret", "app", "password", true)
        );
        let r = VaultRef::parse("kv/team/app", "TOKEN").unwrap();
        assert_eq!(
            (r.mount.as_str(), r.path.as_str(), r.key.as_str(), r.kv2),
            ("kv", "team/app", "TOKEN", false)
        );
        assert_eq!(r.to_string(), "kv/team/app#TOKEN");
        for (text, want) in [
            (
                "secret",
                "`secret`: expected mount/path#key, e.g. secret/data/app#password",
            ),
            (
                "secret/data/app#",
                "`secret/data/app#`: empty key after `#`",
            ),
        ] {
            assert_eq!(VaultRef::parse(text, "X").unwrap_err().to_string(), want);
        }
    }
}
