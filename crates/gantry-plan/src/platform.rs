//! The platform map: which container image stands for a `runs-on` label (like act's `-P`).
//! Real users point labels at registry images; the defaults point at the images
//! `scripts/images.sh` builds offline.

use std::collections::BTreeMap;

/// A `-P`/`[platforms]` mapping that is not `LABEL=IMAGE`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform `{spec}`: expected LABEL=IMAGE, e.g. ubuntu-latest=debian:bookworm")]
pub struct PlatformError {
    pub spec: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformMap {
    map: BTreeMap<String, String>,
}

/// The offline Debian runner image (bash, git, curl, python3, nodejs).
pub const DEFAULT_RUNNER_IMAGE: &str = "gantry/runner:bookworm";

impl Default for PlatformMap {
    fn default() -> PlatformMap {
        let mut map = BTreeMap::new();
        for label in [
            "ubuntu-latest",
            "ubuntu-24.04",
            "ubuntu-22.04",
            "ubuntu-20.04",
            "self-hosted",
            "linux",
            "x64",
            "gantry",
        ] {
            map.insert(label.to_string(), DEFAULT_RUNNER_IMAGE.to_string());
        }
        PlatformMap { map }
    }
}

impl PlatformMap {
    pub fn empty() -> PlatformMap {
        PlatformMap {
            map: BTreeMap::new(),
        }
    }

    /// Adds `label=image` (from `-P`); a later mapping of the same label wins.
    pub fn parse_and_set(&mut self, spec: &str) -> Result<(), PlatformError> {
        match spec.split_once('=') {
            Some((label, image)) if !label.trim().is_empty() && !image.trim().is_empty() => {
                self.map
                    .insert(label.trim().to_ascii_lowercase(), image.trim().to_string());
                Ok(())
            }
            _ => Err(PlatformError {
                spec: spec.to_string(),
            }),
        }
    }

    /// The image for a set of labels: the first label, in order, that has a mapping.
    /// Labels compare case-insensitively, as GitHub's do.
    pub fn image_for<'a>(&'a self, labels: &[String]) -> Option<(&'a str, String)> {
        labels.iter().find_map(|l| {
            self.map
                .get(&l.to_ascii_lowercase())
                .map(|img| (img.as_str(), l.clone()))
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Where the user maps a `runs-on` label to an image, for the reason a job without an image
/// gives: `-P LABEL=IMAGE` on the command line, the `[platforms]` table of `gantry serve`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlatformHint {
    #[default]
    Flag,
    Table,
}

impl PlatformHint {
    /// Why a job with `labels` has no image, and how to give it one.
    pub fn no_image(self, labels: &[String]) -> String {
        let first = labels.first().map_or("ubuntu-latest", String::as_str);
        let how = match self {
            PlatformHint::Flag => format!("map a label with -P {first}=IMAGE"),
            PlatformHint::Table => format!("map a label in [platforms] ({first} = \"IMAGE\")"),
        };
        format!("no image for runs-on [{}]; {how}", labels.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_without_an_image_is_told_how_its_front_maps_labels() {
        let labels = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = [
            (
                PlatformHint::Flag,
                labels(&["macos-latest"]),
                "no image for runs-on [macos-latest]; map a label with -P macos-latest=IMAGE",
            ),
            (
                PlatformHint::Table,
                labels(&["macos-14", "arm64"]),
                "no image for runs-on [macos-14, arm64]; \
                 map a label in [platforms] (macos-14 = \"IMAGE\")",
            ),
            (
                PlatformHint::Flag,
                labels(&[]),
                "no image for runs-on []; map a label with -P ubuntu-latest=IMAGE",
            ),
        ];
        for (hint, labels, want) in cases {
            assert_eq!(hint.no_image(&labels), want);
        }
    }

    #[test]
    fn first_mapped_label_wins_and_overrides_apply() {
        let mut p = PlatformMap::default();
        assert_eq!(p.image_for(&["macos-latest".into()]), None);
        let labels = vec!["self-hosted".to_string(), "Linux".to_string()];
        assert_eq!(
            p.image_for(&labels).map(|x| x.0),
            Some(DEFAULT_RUNNER_IMAGE)
        );
        p.parse_and_set("linux=alpine:3").unwrap();
        p.parse_and_set("SELF-HOSTED=busybox").unwrap();
        assert_eq!(p.image_for(&labels).map(|x| x.0), Some("busybox"));
        assert_eq!(
            p.parse_and_set("noequals").unwrap_err().to_string(),
            "invalid platform `noequals`: expected LABEL=IMAGE, e.g. ubuntu-latest=debian:bookworm"
        );
        assert!(p.parse_and_set("=img").is_err());
    }
}
