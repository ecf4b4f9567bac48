//! A repository at a ref, read path by path through GitHub's contents API: the workflow
//! files of a push are planned without downloading the whole tree.

use super::FetchError;
use octocrab::models::repos::{Content, ContentItems};
use octocrab::Octocrab;

pub(crate) struct Contents<'a> {
    pub client: &'a Octocrab,
    pub owner: &'a str,
    pub repo: &'a str,
    pub repository: &'a str,
    pub git_ref: &'a str,
}

impl Contents<'_> {
    /// The workflow files (`.github/workflows/*.yml|yaml`), sorted by path. No workflow
    /// directory means no workflows.
    pub async fn workflow_files(&self) -> Result<Vec<(String, Vec<u8>)>, FetchError> {
        let listing = match self.get(".github/workflows").await {
            Ok(l) => l.items,
            Err(FetchError::NotFound { .. }) => return Ok(Vec::new()),
            Err(other) => return Err(other),
        };
        let mut out = Vec::new();
        for item in listing.into_iter().filter(is_yaml_file) {
            let file = self.get(&item.path).await?;
            let text = file.items.first().and_then(|c| c.decoded_content());
            out.push((item.path, text.unwrap_or_default().into_bytes()));
        }
        out.sort();
        Ok(out)
    }

    /// What an API error means for this repository and ref (by its HTTP status).
    fn classify(&self, e: octocrab::Error) -> FetchError {
        let status = match &e {
            octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
            _ => None,
        };
        FetchError::from_status(self.repository, self.git_ref, status, e.to_string())
    }

    // The two functions below use raw identifiers (`ref`, `type`); they stay last in the
    // file, where a tool that misreads `r#` as a raw string sees nothing after them.
    async fn get(&self, path: &str) -> Result<ContentItems, FetchError> {
        let handler = self.client.repos(self.owner, self.repo);
        let request = handler.get_content().path(path).r#ref(self.git_ref);
        request.send().await.map_err(|e| self.classify(e))
    }
}

/// A YAML file (not a directory, link or submodule) in a listing.
fn is_yaml_file(item: &Content) -> bool {
    let yaml = item.name.ends_with(".yml") || item.name.ends_with(".yaml");
    item.r#type == "file" && yaml
}
