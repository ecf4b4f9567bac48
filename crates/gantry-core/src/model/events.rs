//! The table of events a workflow may name under `on:`: GitHub's webhook events with their
//! activity types and allowed filters, and Gantry's own `kafka` and `webhook` triggers.

/// Which filter keys an event accepts besides `types`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterSet {
    /// No filters at all (`create`, `fork`, ...).
    None,
    /// Only `types`.
    Types,
    /// `push`: branches, tags and paths (no types).
    Push,
    /// `pull_request`, `pull_request_target`: types, branches and paths.
    PullRequest,
    /// `merge_group`: types and branches.
    MergeGroup,
    /// `workflow_run`: types, workflows and branches.
    WorkflowRun,
    /// `schedule`, `workflow_dispatch`, `workflow_call`, `kafka`, `webhook`: their own shapes.
    Special,
}

#[derive(Debug)]
pub struct EventSpec {
    pub name: &'static str,
    pub filters: FilterSet,
    /// Activity types; empty with `FilterSet::Types` means any type is accepted.
    pub types: &'static [&'static str],
}

const PR_TYPES: &[&str] = &[
    "assigned",
    "unassigned",
    "labeled",
    "unlabeled",
    "opened",
    "edited",
    "closed",
    "reopened",
    "synchronize",
    "converted_to_draft",
    "ready_for_review",
    "locked",
    "unlocked",
    "review_requested",
    "review_request_removed",
    "auto_merge_enabled",
    "auto_merge_disabled",
    "milestoned",
    "demilestoned",
    "enqueued",
    "dequeued",
    "stacked",
];

macro_rules! ev {
    ($name:literal, $filters:ident) => {
        EventSpec {
            name: $name,
            filters: FilterSet::$filters,
            types: &[],
        }
    };
    ($name:literal, $filters:ident, $types:expr) => {
        EventSpec {
            name: $name,
            filters: FilterSet::$filters,
            types: $types,
        }
    };
}

/// Sorted by name for binary search.
pub static EVENTS: &[EventSpec] = &[
    ev!(
        "branch_protection_rule",
        Types,
        &["created", "edited", "deleted"]
    ),
    ev!(
        "check_run",
        Types,
        &["created", "rerequested", "completed", "requested_action"]
    ),
    ev!("check_suite", Types, &["completed"]),
    ev!("create", None),
    ev!("delete", None),
    ev!("deployment", None),
    ev!("deployment_status", None),
    ev!(
        "discussion",
        Types,
        &[
            "created",
            "edited",
            "deleted",
            "transferred",
            "pinned",
            "unpinned",
            "labeled",
            "unlabeled",
            "locked",
            "unlocked",
            "category_changed",
            "answered",
            "unanswered"
        ]
    ),
    ev!(
        "discussion_comment",
        Types,
        &["created", "edited", "deleted"]
    ),
    ev!("fork", None),
    ev!("gollum", None),
    ev!("image_version", Types, &["created", "ready", "deleted"]),
    ev!("issue_comment", Types, &["created", "edited", "deleted"]),
    ev!(
        "issues",
        Types,
        &[
            "opened",
            "edited",
            "deleted",
            "transferred",
            "pinned",
            "unpinned",
            "closed",
            "reopened",
            "assigned",
            "unassigned",
            "labeled",
            "unlabeled",
            "locked",
            "unlocked",
            "milestoned",
            "demilestoned",
            "typed",
            "untyped",
            "field_added",
            "field_removed"
        ]
    ),
    ev!("kafka", Special),
    ev!("label", Types, &["created", "edited", "deleted"]),
    ev!("merge_group", MergeGroup, &["checks_requested"]),
    ev!(
        "milestone",
        Types,
        &["created", "closed", "opened", "edited", "deleted"]
    ),
    ev!("page_build", None),
    ev!(
        "project",
        Types,
        &["created", "closed", "reopened", "edited", "deleted"]
    ),
    ev!(
        "project_card",
        Types,
        &["created", "moved", "converted", "edited", "deleted"]
    ),
    ev!(
        "project_column",
        Types,
        &["created", "updated", "moved", "deleted"]
    ),
    ev!("public", None),
    ev!("pull_request", PullRequest, PR_TYPES),
    // Accepted by GitHub; its docs point comments on pull requests to `issue_comment`.
    ev!(
        "pull_request_comment",
        Types,
        &["created", "edited", "deleted"]
    ),
    ev!(
        "pull_request_review",
        Types,
        &["submitted", "edited", "dismissed"]
    ),
    ev!(
        "pull_request_review_comment",
        Types,
        &["created", "edited", "deleted"]
    ),
    ev!("pull_request_target", PullRequest, PR_TYPES),
    ev!("push", Push),
    ev!("registry_package", Types, &["published", "updated"]),
    ev!(
        "release",
        Types,
        &[
            "published",
            "unpublished",
            "created",
            "edited",
            "deleted",
            "prereleased",
            "released"
        ]
    ),
    ev!("repository_dispatch", Types),
    ev!("schedule", Special),
    ev!("status", None),
    ev!("watch", Types, &["started"]),
    ev!("webhook", Special),
    ev!("workflow_call", Special),
    ev!("workflow_dispatch", Special),
    ev!(
        "workflow_run",
        WorkflowRun,
        &["completed", "requested", "in_progress"]
    ),
];

pub fn lookup(name: &str) -> Option<&'static EventSpec> {
    EVENTS
        .binary_search_by(|e| e.name.cmp(name))
        .ok()
        .map(|i| &EVENTS[i])
}

/// Whether `key` is a filter this event accepts.
pub fn accepts_filter(spec: &EventSpec, key: &str) -> bool {
    use FilterSet::*;
    match key {
        "types" => matches!(spec.filters, Types | PullRequest | MergeGroup | WorkflowRun),
        "branches" | "branches-ignore" => {
            matches!(spec.filters, Push | PullRequest | MergeGroup | WorkflowRun)
        }
        "tags" | "tags-ignore" => spec.filters == Push,
        "paths" | "paths-ignore" => matches!(spec.filters, Push | PullRequest),
        "workflows" => spec.filters == WorkflowRun,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_so_lookup_works() {
        for w in EVENTS.windows(2) {
            assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
        }
        assert_eq!(lookup("push").map(|e| e.filters), Some(FilterSet::Push));
        assert!(lookup("kafka").is_some());
        assert!(lookup("pushh").is_none());
    }

    #[test]
    fn filters_by_event() {
        let push = lookup("push").unwrap();
        let pr = lookup("pull_request").unwrap();
        let issues = lookup("issues").unwrap();
        assert!(accepts_filter(push, "tags"));
        assert!(!accepts_filter(push, "types"));
        assert!(accepts_filter(pr, "paths-ignore"));
        assert!(!accepts_filter(pr, "tags"));
        assert!(accepts_filter(issues, "types"));
        assert!(!accepts_filter(issues, "branches"));
    }
}
