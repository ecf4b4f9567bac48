//! TLS to PostgreSQL against a real server with `ssl = on` and a certificate of a CA made
//! here: `sslmode=require` with that CA in `ca_file` connects over TLS (the server says so
//! in `pg_stat_ssl`) and the store works; a CA that did not sign the certificate, or a host
//! name the certificate does not name, is refused with an error saying why (and no
//! password); `sslmode=disable` talks in clear.

use super::event;
use crate::testpg;
use crate::*;

struct Certs {
    dir: tempfile::TempDir,
    server_cert: String,
    server_key: String,
}

/// A CA, a certificate it signed for 127.0.0.1 (not `localhost`), and another CA.
fn certs() -> Certs {
    let ca = |name: &str| {
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        rcgen::CertifiedIssuer::self_signed(p, rcgen::KeyPair::generate().unwrap()).unwrap()
    };
    let (ours, other) = (ca("gantry test CA"), ca("someone else's CA"));
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ours)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), ours.pem()).unwrap();
    std::fs::write(dir.path().join("other.pem"), other.pem()).unwrap();
    Certs {
        dir,
        server_cert: leaf.pem(),
        server_key: key.serialize_pem(),
    }
}

fn config(url: &str, ca: Option<std::path::PathBuf>) -> StoreConfig {
    StoreConfig {
        url: Some(url.to_string()),
        password_env: Some("GANTRY_TEST_TLS_PW".into()),
        ca_file: ca,
        ..Default::default()
    }
}

/// Whether the server sees this connection of `cfg`'s pool as TLS.
async fn over_tls(cfg: &StoreConfig) -> bool {
    let pg = cfg.postgres().unwrap().unwrap();
    let c = crate::pg::pool(&pg, 1).unwrap().get().await.unwrap();
    let row = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    row.get(0)
}

async fn refusal(cfg: &StoreConfig, dir: &std::path::Path) -> String {
    match Store::connect(cfg, dir, "tls").await {
        Ok(_) => panic!("connected to {:?}", cfg.url),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_tls_connection_works_and_an_unverifiable_one_is_refused() {
    // The server trusts every local connection: the password only proves it is never shown.
    std::env::set_var("GANTRY_TEST_TLS_PW", "tls-test-password");
    let c = certs();
    let (cert, key) = (c.server_cert.clone(), c.server_key.clone());
    let (db, _cluster) = tokio::task::spawn_blocking(move || testpg::tls_database(&cert, &key))
        .await
        .unwrap();
    let ca = c.dir.path().join("ca.pem");
    let required = format!("{}?sslmode=require", db.url);
    let good = config(&required, Some(ca.clone()));
    assert!(over_tls(&good).await, "sslmode=require is TLS");
    let store = Store::connect(&good, c.dir.path(), "tls").await.unwrap();
    let accepted = store
        .accept(
            event("over-tls"),
            vec![super::run("ci.yml")],
            |_: &[i64]| "ok".to_string(),
        )
        .await
        .unwrap();
    assert_eq!(accepted.run_ids.len(), 1, "the store works over TLS");
    assert!(!over_tls(&config(&db.url, None)).await, "no sslmode: clear");

    let wrong_ca = config(&required, Some(c.dir.path().join("other.pem")));
    let e = refusal(&wrong_ca, c.dir.path()).await;
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    let by_name = required.replace("127.0.0.1", "localhost");
    let e = refusal(&config(&by_name, Some(ca)), c.dir.path()).await;
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    assert!(!e.contains("tls-test-password"), "{e}");
}
