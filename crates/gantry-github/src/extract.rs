//! Unpacking a GitHub repository tarball: gzip, one top-level directory (stripped), and
//! nothing that could write outside the target — absolute paths, `..`, links pointing out —
//! within a size limit.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

/// GitHub's largest repository archives are far below this; an action is tiny.
const MAX_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum ExtractError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the archive entry `{0}` would be written outside the action directory")]
    Escapes(String),
    #[error("the archive is larger than {MAX_BYTES} bytes unpacked")]
    TooLarge,
}

/// The entry's path without GitHub's `owner-repo-sha/` prefix, if it is safe.
fn inner_path(path: &Path) -> Result<Option<PathBuf>, ExtractError> {
    let mut out = PathBuf::new();
    for (i, c) in path.components().enumerate() {
        match c {
            Component::Normal(p) if i > 0 => out.push(p),
            Component::Normal(_) => {}
            Component::CurDir => {}
            _ => return Err(ExtractError::Escapes(path.display().to_string())),
        }
    }
    Ok((!out.as_os_str().is_empty()).then_some(out))
}

/// Whether a link at `at` (relative to the root) pointing to `target` stays inside.
fn link_stays_inside(at: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: i64 = at.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

pub fn unpack(gz: &[u8], dest: &Path) -> Result<(), ExtractError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut total = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let Some(rel) = inner_path(&path)? else {
            continue;
        };
        let out = dest.join(&rel);
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name()?
                .map(|t| t.into_owned())
                .unwrap_or_default();
            let ok = if kind.is_symlink() {
                link_stays_inside(&rel, &target)
            } else {
                inner_path(&target)?.is_some()
            };
            if !ok {
                return Err(ExtractError::Escapes(format!(
                    "{} -> {}",
                    path.display(),
                    target.display()
                )));
            }
            if kind.is_symlink() {
                if let Some(p) = out.parent() {
                    std::fs::create_dir_all(p)?;
                }
                #[cfg(unix)]
                std::os::unix::fs::symlink(&target, &out)?;
            }
            continue;
        }
        if kind.is_dir() {
            std::fs::create_dir_all(&out)?;
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        total += entry.header().size()?;
        if total > MAX_BYTES {
            return Err(ExtractError::TooLarge);
        }
        if let Some(p) = out.parent() {
            std::fs::create_dir_all(p)?;
        }
        let mode = entry.header().mode().unwrap_or(0o644);
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        std::fs::write(&out, bytes)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode & 0o755))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // Write the raw name so that hostile paths reach the reader unchanged.
            let bytes = name.as_bytes();
            h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn strips_the_top_directory() {
        let d = tempfile::tempdir().unwrap();
        unpack(
            &gz(&[
                ("o-r-abc/action.yml", b"name: x"),
                ("o-r-abc/sub/s.sh", b"echo"),
            ]),
            d.path(),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(d.path().join("action.yml")).unwrap(),
            "name: x"
        );
        assert!(d.path().join("sub/s.sh").is_file());
    }

    #[test]
    fn refuses_paths_that_escape() {
        for bad in ["o-r-abc/../../evil", "/etc/evil"] {
            let d = tempfile::tempdir().unwrap();
            let inner = d.path().join("inner");
            std::fs::create_dir_all(&inner).unwrap();
            let e = unpack(&gz(&[(bad, b"x")]), &inner);
            assert!(matches!(e, Err(ExtractError::Escapes(_))), "{bad}: {e:?}");
            assert!(!d.path().join("evil").exists());
        }
        assert!(!link_stays_inside(
            Path::new("a/link"),
            Path::new("../../x")
        ));
        assert!(link_stays_inside(Path::new("a/link"), Path::new("../b")));
        assert!(!link_stays_inside(
            Path::new("link"),
            Path::new("/etc/passwd")
        ));
    }
}
