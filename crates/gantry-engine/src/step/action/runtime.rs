//! Which `node` a JavaScript action runs with: the runtime its `runs.using` declares, from
//! Gantry's externals (mounted at `/__e`), as GitHub's runner runs actions with the node it
//! ships rather than whatever the job's image has. GitHub runs `node12` and `node16`
//! actions on Node 20 (their runtimes are retired); any other `using` is refused.

use crate::layout::EXTERNALS;
use std::path::{Path, PathBuf};

/// The runtimes Gantry provides, by the directory name under the externals.
const PROVIDED: &[&str] = &["node20", "node24"];

/// Where the runtimes are unless the operator says otherwise: `GANTRY_EXTERNALS`, else
/// `$XDG_CACHE_HOME/gantry/externals`, else `~/.cache/gantry/externals` — where
/// scripts/setup-node.sh installs them, by the same rule.
pub fn default_externals() -> PathBuf {
    if let Some(dir) = std::env::var_os("GANTRY_EXTERNALS") {
        return PathBuf::from(dir);
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("gantry/externals")
}

/// The externals directory `runs.using` runs with, or why it cannot run.
pub fn runtime_dir(using: &str) -> Result<&'static str, String> {
    match using.to_ascii_lowercase().as_str() {
        "node12" | "node16" | "node20" => Ok("node20"),
        "node24" => Ok("node24"),
        other => Err(format!(
            "unknown `runs.using: {other}`: Gantry runs JavaScript actions with {} (node12 \
             and node16 actions run on node20, as on GitHub)",
            PROVIDED.join(" or ")
        )),
    }
}

/// The `node` binary to start, as the container sees it: the declared runtime from the
/// externals when Gantry has them (`None`: the image's own `node`, for fake backends).
pub fn node_binary(using: &str, externals: Option<&Path>) -> Result<String, String> {
    let dir = runtime_dir(using)?;
    let Some(root) = externals else {
        return Ok("node".into());
    };
    if !root.join(dir).join("bin/node").is_file() {
        return Err(format!(
            "`runs.using: {using}` needs the {dir} runtime, which is not installed: run \
             scripts/setup-node.sh (it installs node20 and node24 into Gantry's externals \
             directory, ~/.cache/gantry/externals unless GANTRY_EXTERNALS says otherwise)"
        ));
    }
    Ok(format!("{EXTERNALS}/{dir}/bin/node"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_runtimes_map_as_github_maps_them() {
        for (using, dir) in [
            ("node12", Ok("node20")),
            ("node16", Ok("node20")),
            ("node20", Ok("node20")),
            ("Node24", Ok("node24")),
        ] {
            assert_eq!(runtime_dir(using), dir, "{using}");
        }
        let e = runtime_dir("node99").unwrap_err();
        assert!(e.contains("unknown `runs.using: node99`"), "{e}");
    }

    #[test]
    fn a_missing_runtime_says_how_to_install_it() {
        let d = tempfile::tempdir().unwrap();
        let e = node_binary("node24", Some(d.path())).unwrap_err();
        assert!(e.contains("scripts/setup-node.sh"), "{e}");
        assert!(
            !e.contains(&d.path().display().to_string()),
            "no host path: {e}"
        );
        std::fs::create_dir_all(d.path().join("node24/bin")).unwrap();
        std::fs::write(d.path().join("node24/bin/node"), b"").unwrap();
        assert_eq!(
            node_binary("node24", Some(d.path())).unwrap(),
            "/__e/node24/bin/node"
        );
        assert_eq!(node_binary("node20", None).unwrap(), "node");
    }
}
