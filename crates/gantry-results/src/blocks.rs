//! Azure block blobs as the official clients write them: blocks staged one by one
//! (`PUT ?comp=block&blockid=...`), then a block list (`PUT ?comp=blocklist`) that names the
//! blob's blocks in order. Blocks are staged as objects and assembled on commit.

use object_store::path::Path;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::sink::Sink;
use crate::store::{BlobInfo, Store};
use crate::ResultsError;

/// The block ids of a `<BlockList>` body, in order (`Latest`, `Committed` and `Uncommitted`
/// entries all name staged blocks here: nothing is committed before).
pub(crate) fn parse_block_list(xml: &[u8]) -> Result<Vec<String>, ResultsError> {
    let bad =
        |what: String| ResultsError::InvalidArgument(format!("a <BlockList> XML body: {what}"));
    let mut reader = Reader::from_reader(xml);
    let mut ids = Vec::new();
    let mut in_list = false;
    let mut current: Option<String> = None;
    loop {
        match reader.read_event().map_err(|e| bad(e.to_string()))? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name == "BlockList" {
                    in_list = true;
                } else if in_list && matches!(name.as_str(), "Latest" | "Committed" | "Uncommitted")
                {
                    current = Some(String::new());
                }
            }
            Event::Text(t) => {
                if let Some(cur) = current.as_mut() {
                    let text = t.decode().map_err(|e| bad(e.to_string()))?;
                    cur.push_str(text.trim());
                }
            }
            Event::End(e) => {
                if e.name().as_ref() == b"BlockList" {
                    in_list = false;
                } else if let Some(id) = current.take() {
                    ids.push(id);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if ids.is_empty() {
        return Err(bad("no blocks".into()));
    }
    Ok(ids)
}

/// Where a staged block lives: block ids are base64 and may hold `/` or `+`, so the object
/// name is their hex.
pub(crate) fn block_path(upload_dir: &Path, block_id: &str) -> Path {
    upload_dir
        .clone()
        .join("blocks")
        .join(hex::encode(block_id.as_bytes()))
}

/// Concatenates the named blocks into `dest`, then removes them. A block that was never
/// staged fails the whole commit and nothing is written.
pub(crate) async fn assemble(
    store: &Store,
    upload_dir: &Path,
    block_ids: &[String],
    dest: &Path,
    max: u64,
) -> Result<BlobInfo, ResultsError> {
    let mut sink = Sink::open(store, dest, max).await?;
    for id in block_ids {
        if let Err(e) = store
            .copy_into(&block_path(upload_dir, id), &mut sink)
            .await
        {
            sink.abort().await;
            return Err(match e {
                ResultsError::NotFound(_) => ResultsError::InvalidArgument(format!(
                    "block {id} to be staged before the block list"
                )),
                other => other,
            });
        }
    }
    let info = sink.finish().await?;
    store
        .delete_prefix(&upload_dir.clone().join("blocks"))
        .await?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutPayload};
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn parses_block_lists() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            (
                r#"<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>AAA=</Latest><Latest>AAE=</Latest></BlockList>"#,
                Some(&["AAA=", "AAE="]),
            ),
            (
                "<BlockList>\n  <Uncommitted>b/1+</Uncommitted>\n  <Committed>c2</Committed>\n</BlockList>",
                Some(&["b/1+", "c2"]),
            ),
            ("<BlockList></BlockList>", None),
            ("<BlockList><Latest>a</Latest>", Some(&["a"])),
            ("not xml <", None),
        ];
        for (xml, want) in cases {
            let got = parse_block_list(xml.as_bytes()).ok();
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{xml}");
        }
    }

    async fn stage(store: &Store, dir: &Path, id: &str, data: &[u8]) {
        store
            .raw()
            .put(&block_path(dir, id), PutPayload::from(data.to_vec()))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn assembles_blocks_in_list_order() {
        let store = Store::new(Arc::new(InMemory::new()));
        let dir = Path::from("uploads/u1");
        stage(&store, &dir, "Yg==", b"world").await;
        stage(&store, &dir, "YQ==", b"hello ").await;
        let dest = Path::from("blobs/u1");
        let ids = vec!["YQ==".to_string(), "Yg==".to_string()];
        let info = assemble(&store, &dir, &ids, &dest, 100).await.unwrap();
        let bytes = store.raw().get(&dest).await.unwrap().bytes().await.unwrap();
        assert_eq!(&bytes[..], b"hello world");
        assert_eq!(info.size, 11);
        assert_eq!(info.sha256, hex::encode(Sha256::digest(b"hello world")));
        assert!(store.list(&dir).await.unwrap().is_empty(), "blocks removed");
    }

    #[tokio::test]
    async fn refuses_missing_blocks_and_oversize_blobs() {
        let store = Store::new(Arc::new(InMemory::new()));
        let dir = Path::from("uploads/u2");
        stage(&store, &dir, "YQ==", b"0123456789").await;
        let dest = Path::from("blobs/u2");
        let missing = vec!["YQ==".to_string(), "eg==".to_string()];
        let err = assemble(&store, &dir, &missing, &dest, 100)
            .await
            .unwrap_err();
        assert_eq!(err.twirp_code(), "invalid_argument", "{err}");
        let one = vec!["YQ==".to_string()];
        let err = assemble(&store, &dir, &one, &dest, 5).await.unwrap_err();
        assert!(matches!(err, ResultsError::TooLarge(_)), "{err}");
        assert!(store.raw().head(&dest).await.is_err(), "nothing visible");
    }
}
