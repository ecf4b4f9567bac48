//! Commit statuses on GitHub for runs triggered by a GitHub push, through octocrab: pending
//! when the run starts, then success, failure or error, with a link to the run's page.
//! Reporting is retried with backoff and logged when it fails; it never fails a run.

use octocrab::models::StatusState;
use octocrab::Octocrab;
use std::time::Duration;

pub struct StatusReporter {
    client: Octocrab,
    public_url: String,
}

pub enum State {
    Pending,
    Success,
    Failure,
    /// Cancelled or interrupted: GitHub has no such state.
    Error,
}

impl StatusReporter {
    /// A reporter with `token` against `api_url` (GitHub's when `None`); `None` when the
    /// client cannot be built (said in the log): statuses are then off.
    pub fn new(token: String, api_url: Option<&str>, public_url: &str) -> Option<StatusReporter> {
        let mut b = Octocrab::builder().personal_token(token);
        if let Some(api) = api_url {
            b = match b.base_uri(api) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!("[github] api_url `{api}` is invalid: {e}; statuses are off");
                    return None;
                }
            };
        }
        match b.build() {
            Ok(client) => Some(StatusReporter {
                client,
                public_url: public_url.trim_end_matches('/').to_string(),
            }),
            Err(e) => {
                tracing::warn!("cannot build the GitHub client: {e}; statuses are off");
                None
            }
        }
    }

    /// Sets the status `gantry/<workflow>` of `sha` in `repository` (`owner/repo`).
    pub async fn set(
        &self,
        repository: &str,
        sha: &str,
        workflow: &str,
        run: i64,
        state: State,
        description: &str,
    ) {
        let Some((owner, repo)) = repository.split_once('/') else {
            return;
        };
        let (st, word) = match state {
            State::Pending => (StatusState::Pending, "pending"),
            State::Success => (StatusState::Success, "success"),
            State::Failure => (StatusState::Failure, "failure"),
            State::Error => (StatusState::Error, "error"),
        };
        let mut delay = Duration::from_millis(250);
        for attempt in 1..=4 {
            let r = self
                .client
                .repos(owner, repo)
                .create_status(sha.to_string(), st)
                .context(format!("gantry/{workflow}"))
                .description(description.chars().take(140).collect())
                .target(format!("{}/runs/{run}", self.public_url))
                .send()
                .await;
            match r {
                Ok(_) => return,
                Err(e) if attempt == 4 => {
                    tracing::warn!(
                        run,
                        "could not set the {word} status of {repository}@{sha}: {e}"
                    );
                }
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
    }
}
