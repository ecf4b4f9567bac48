//! Signed blob URLs. The Azure Blob SDK and the plain download clients send no bearer token to
//! the URLs the service hands out, so each URL carries its own permission: an HMAC-SHA256 over
//! the blob id, the access, the size ceiling and the expiry, keyed per service.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ResultsError;

/// What a URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Access {
    fn letter(self) -> &'static str {
        match self {
            Self::Read => "r",
            Self::Write => "w",
        }
    }
}

/// The signed part of a blob URL's query string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct Grant {
    pub perm: String,
    /// Unix seconds.
    pub exp: i64,
    /// Largest blob the URL may write (0 for reads).
    #[serde(default)]
    pub max: u64,
    pub sig: String,
}

pub(crate) struct UrlSigner {
    key: Vec<u8>,
}

impl UrlSigner {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, blob_id: &str, perm: &str, max: u64, exp: i64) -> Hmac<Sha256> {
        // Keys of any length are valid for HMAC, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{blob_id}\n{perm}\n{max}\n{exp}").as_bytes());
        mac
    }

    /// The query string (without `?`) granting `access` to `blob_id` until `exp`.
    pub fn query(&self, blob_id: &str, access: Access, max: u64, exp: i64) -> String {
        let perm = access.letter();
        let sig = hex::encode(self.mac(blob_id, perm, max, exp).finalize().into_bytes());
        format!("perm={perm}&max={max}&exp={exp}&sig={sig}")
    }

    /// Checks a URL's grant for `access` at `now`. The error names nothing secret.
    pub fn verify(
        &self,
        blob_id: &str,
        access: Access,
        grant: &Grant,
        now: i64,
    ) -> Result<(), ResultsError> {
        if grant.perm != access.letter() {
            return Err(ResultsError::Unauthenticated(
                "a URL signed for this access",
            ));
        }
        let sig = hex::decode(&grant.sig)
            .map_err(|_| ResultsError::Unauthenticated("a hex URL signature"))?;
        self.mac(blob_id, &grant.perm, grant.max, grant.exp)
            .verify_slice(&sig)
            .map_err(|_| ResultsError::Unauthenticated("a URL signed by this service"))?;
        if grant.exp < now {
            return Err(ResultsError::Unauthenticated("an unexpired signed URL"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Grant {
        let mut g = Grant {
            perm: String::new(),
            exp: 0,
            max: 0,
            sig: String::new(),
        };
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap();
            match k {
                "perm" => g.perm = v.into(),
                "exp" => g.exp = v.parse().unwrap(),
                "max" => g.max = v.parse().unwrap(),
                "sig" => g.sig = v.into(),
                _ => panic!("unexpected {k}"),
            }
        }
        g
    }

    #[test]
    fn accepts_only_untouched_unexpired_grants() {
        let signer = UrlSigner::new(b"key-one");
        let other = UrlSigner::new(b"key-two");
        let good = parse(&signer.query("blob1", Access::Write, 100, 1000));
        let with = |f: fn(&mut Grant)| {
            let mut g = good.clone();
            f(&mut g);
            g
        };
        // (case, signer, blob, access, grant, now, accepted)
        type Case<'a> = (&'a str, &'a UrlSigner, &'a str, Access, Grant, i64, bool);
        let w = Access::Write;
        let cases: Vec<Case> = vec![
            ("valid", &signer, "blob1", w, good.clone(), 999, true),
            ("at expiry", &signer, "blob1", w, good.clone(), 1000, true),
            ("expired", &signer, "blob1", w, good.clone(), 1001, false),
            ("other blob", &signer, "blob2", w, good.clone(), 999, false),
            (
                "read",
                &signer,
                "blob1",
                Access::Read,
                good.clone(),
                999,
                false,
            ),
            ("other key", &other, "blob1", w, good.clone(), 999, false),
            (
                "raised max",
                &signer,
                "blob1",
                w,
                with(|g| g.max = 1 << 40),
                999,
                false,
            ),
            (
                "later exp",
                &signer,
                "blob1",
                w,
                with(|g| g.exp = 5000),
                999,
                false,
            ),
            (
                "bad hex",
                &signer,
                "blob1",
                w,
                with(|g| g.sig = "zz".into()),
                999,
                false,
            ),
        ];
        for (name, s, blob, access, grant, now, ok) in cases {
            assert_eq!(s.verify(blob, access, &grant, now).is_ok(), ok, "{name}");
        }
    }

    #[test]
    fn read_urls_verify_for_reads() {
        let signer = UrlSigner::new(b"k");
        let grant = parse(&signer.query("b", Access::Read, 0, 10));
        assert!(signer.verify("b", Access::Read, &grant, 5).is_ok());
        assert!(signer.verify("b", Access::Write, &grant, 5).is_err());
    }
}
