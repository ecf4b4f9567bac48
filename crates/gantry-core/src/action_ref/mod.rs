//! `uses:` references of steps and jobs, parsed into what they name: a local action or
//! reusable workflow (`./path`, or `$/path` for the running repository at the running
//! commit), a remote one (`owner/repo[/path]@ref`), or a Docker image (`docker://…`).
//!
//! GitHub resolves `uses` before anything runs, so expressions are not allowed in it, and a
//! step can only run an action while a job can only call a reusable workflow (a `.yml` or
//! `.yaml` file directly in `.github/workflows/`). [`parse_step_uses`] and
//! [`parse_job_uses`] enforce that; [`parse_uses`] only classifies. Lowering calls them once
//! per `uses:` and keeps the [`ActionRef`] in the model (`model::Uses`), where validation
//! reads its error and planning its parts. Existence of what is named is not checked here.

use serde::Serialize;
use std::fmt;

/// What a `uses:` names, owning its parts: the model keeps it for as long as the workflow.
/// Whether it is an action or a reusable workflow follows from where it was written (a
/// step or a job), which [`parse_step_uses`] and [`parse_job_uses`] check;
/// [`ActionRef::names_workflow`] tells them apart otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionRef {
    /// A directory (action) or `.github/workflows/` file (reusable workflow): `./path` in
    /// the workspace, or `$/path` in the running repository.
    Local { root: LocalRoot, path: String },
    /// `owner/repo@ref` or `owner/repo/path@ref`.
    Remote(RemoteRef),
    /// `docker://[registry/]repository[:tag][@digest]`.
    Docker(DockerRef),
}

impl ActionRef {
    /// Whether the path names a reusable workflow file (`.github/workflows/FILE.yml`)
    /// rather than an action directory; a Docker image names neither.
    pub fn names_workflow(&self) -> bool {
        match self {
            ActionRef::Local { path, .. } => is_workflow_path(path),
            ActionRef::Remote(r) => r.path.as_deref().is_some_and(is_workflow_path),
            ActionRef::Docker(_) => false,
        }
    }
}

/// Where a local path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalRoot {
    /// `./`: the job's workspace, so the repository must have been checked out.
    Workspace,
    /// `$/`: the workflow's own repository at the running commit, no checkout needed.
    SelfRepo,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoteRef {
    pub owner: String,
    pub repo: String,
    /// The path inside the repository, without leading or trailing `/`.
    pub path: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: String,
}

impl RemoteRef {
    /// Whether the ref is a full commit SHA (40 hex digits, or 64 for SHA-256
    /// repositories): the only pin a tag move cannot change.
    pub fn is_full_sha(&self) -> bool {
        matches!(self.git_ref.len(), 40 | 64) && self.git_ref.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// An image reference; displayed as written after `docker://`, which is what Docker pulls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DockerRef {
    /// `ghcr.io`, `localhost:5000`; None means Docker Hub.
    pub registry: Option<String>,
    /// `library/alpine`-style path as written (`alpine` stays `alpine`).
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:…`.
    pub digest: Option<String>,
}

/// Why a `uses:` value is not acceptable, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct UsesError {
    /// Byte offset in the value of the offending part.
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, UsesError> {
    Err(UsesError {
        offset,
        message: message.into(),
    })
}

const WORKFLOWS_DIR: &str = ".github/workflows/";

/// Whether a repository path names a reusable workflow file.
fn is_workflow_path(path: &str) -> bool {
    path.strip_prefix(WORKFLOWS_DIR)
        .is_some_and(|f| !f.contains('/') && (f.ends_with(".yml") || f.ends_with(".yaml")))
}

/// Where a two-byte sequence first occurs, compared byte by byte: `str::find` with a
/// `&str` pattern sets up a two-way searcher each call (costing more than the rest of
/// parsing a `uses:` value), and a slice comparison per position would call `memcmp`.
fn find_pair(hay: &str, pair: [u8; 2]) -> Option<usize> {
    hay.as_bytes()
        .windows(2)
        .position(|w| w[0] == pair[0] && w[1] == pair[1])
}

/// The first white-space or control character. Values are ASCII nearly always, and then a
/// byte is one of those exactly when it is at most a space or is DEL.
fn find_blank_or_control(s: &str) -> Option<(usize, char)> {
    if s.is_ascii() {
        return s
            .bytes()
            .position(|b| b <= b' ' || b == 0x7f)
            .map(|i| (i, char::from(s.as_bytes()[i])));
    }
    s.char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
}

/// Classifies any `uses:` value, checking its syntax but not where it is used.
pub fn parse_uses(s: &str) -> Result<ActionRef, UsesError> {
    if s.is_empty() {
        return err(
            0,
            "`uses` is empty: expected `owner/repo@ref`, `./path`, `$/path` or `docker://image`",
        );
    }
    if let Some(i) = crate::expr::find_open(s) {
        return err(i, "`uses` cannot contain expressions: GitHub resolves actions and reusable workflows before anything runs");
    }
    if let Some((i, c)) = find_blank_or_control(s) {
        let what = if c.is_whitespace() {
            "white space"
        } else {
            "a control character"
        };
        return err(i, format!("`uses` cannot contain {what}"));
    }
    if let Some(image) = s.strip_prefix("docker://") {
        return parse_docker(image, "docker://".len()).map(ActionRef::Docker);
    }
    for (prefix, root) in [("./", LocalRoot::Workspace), ("$/", LocalRoot::SelfRepo)] {
        if let Some(path) = s.strip_prefix(prefix) {
            return parse_local(path, root, prefix.len());
        }
    }
    if s == "." || s == "$" || s.starts_with("../") || s.starts_with('/') {
        return err(0, "a local action is written `./path/to/action` (from the workspace) or `$/path/to/action` (from this repository)");
    }
    if s.starts_with('$') {
        return err(
            0,
            "a self-repository reference starts with `$/`, e.g. `$/.github/actions/build`",
        );
    }
    parse_remote(s)
}

/// A step's `uses:`: an action, never a reusable workflow.
pub fn parse_step_uses(s: &str) -> Result<ActionRef, UsesError> {
    let uses = parse_uses(s)?;
    if uses.names_workflow() {
        let at = s.find(WORKFLOWS_DIR).unwrap_or(0);
        return err(at, "this is a reusable workflow: call it from a job (`jobs.<job_id>.uses`), not from a step");
    }
    let path = match &uses {
        ActionRef::Local { path, .. } => Some((path.as_str(), 2)),
        ActionRef::Remote(r) => r
            .path
            .as_deref()
            .map(|p| (p, r.owner.len() + r.repo.len() + 2)),
        ActionRef::Docker(_) => None,
    };
    if let Some((path, path_at)) = path {
        let file = path.rsplit('/').next().unwrap_or(path);
        let at = path_at + path.len() - file.len();
        if file == "action.yml" || file == "action.yaml" {
            return err(at, format!("`uses` names the directory that holds `{file}`, not the file itself: drop `{file}`"));
        }
        if path.contains(WORKFLOWS_DIR) && (file.ends_with(".yml") || file.ends_with(".yaml")) {
            return err(at, "this looks like a reusable workflow: call it from a job (`jobs.<job_id>.uses`), not from a step");
        }
    }
    Ok(uses)
}

/// A job's `uses:`: a reusable workflow, `./.github/workflows/FILE.yml`,
/// `$/.github/workflows/FILE.yml` or `owner/repo/.github/workflows/FILE.yml@ref`.
pub fn parse_job_uses(s: &str) -> Result<ActionRef, UsesError> {
    let uses = parse_uses(s)?;
    if uses.names_workflow() {
        return Ok(uses);
    }
    let (path, path_at) = match &uses {
        ActionRef::Docker(_) => {
            return err(0, "a job's `uses` calls a reusable workflow; a `docker://` image can only be used by a step");
        }
        ActionRef::Local { path, .. } => (path.as_str(), 2),
        ActionRef::Remote(r) => match &r.path {
            Some(p) => (p.as_str(), r.owner.len() + r.repo.len() + 2),
            None => {
                return err(s.find('@').unwrap_or(s.len()), format!("`{s}` names an action; a job's `uses` must name a workflow file: `{}/{}/.github/workflows/FILE.yml@{}`", r.owner, r.repo, r.git_ref));
            }
        },
    };
    let Some(file) = path.strip_prefix(WORKFLOWS_DIR) else {
        return err(
            path_at,
            "a reusable workflow must be a file in `.github/workflows/`",
        );
    };
    if let Some(slash) = file.find('/') {
        return err(path_at + WORKFLOWS_DIR.len() + slash, "a reusable workflow must be directly in `.github/workflows/`: GitHub does not look in subdirectories");
    }
    let dot = file.rfind('.').unwrap_or(file.len());
    err(
        path_at + WORKFLOWS_DIR.len() + dot,
        "a reusable workflow file must end in `.yml` or `.yaml`",
    )
}

fn parse_local(path: &str, root: LocalRoot, base: usize) -> Result<ActionRef, UsesError> {
    if let Some(i) = path.find('@') {
        return err(base + i, "a local reference takes no `@ref`: it always uses the checked-out (for `./`) or running (for `$/`) commit");
    }
    let mut off = base;
    let segments: Vec<&str> = path.split('/').collect();
    for (k, seg) in segments.iter().enumerate() {
        let last = k + 1 == segments.len();
        if seg.is_empty() && !last {
            return err(off, "empty path segment (`//`)");
        }
        if *seg == ".." && root == LocalRoot::SelfRepo {
            return err(off, "a `$/` path cannot leave the repository with `..`");
        }
        off += seg.len() + 1;
    }
    Ok(ActionRef::Local {
        root,
        path: path.to_string(),
    })
}

fn parse_remote(s: &str) -> Result<ActionRef, UsesError> {
    let Some(at) = memchr::memchr(b'@', s.as_bytes()) else {
        return err(
            s.len(),
            format!("`{s}` has no `@ref`: pin it to a tag, branch or commit SHA, e.g. `{s}@v4`"),
        );
    };
    let (target, git_ref) = (&s[..at], &s[at + 1..]);
    let mut parts = target.splitn(3, '/');
    let owner = parts.next().unwrap_or("");
    let repo = parts.next();
    let path = parts.next();
    let Some(repo) = repo else {
        return err(0, format!("`{s}` must be `owner/repo@ref` or `owner/repo/path@ref` (or `./path`, `$/path`, `docker://image`)"));
    };
    check_name(owner, 0, "owner", |c| {
        c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
    })?;
    check_name(repo, owner.len() + 1, "repository", |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
    })?;
    if repo == "." || repo == ".." {
        return err(
            owner.len() + 1,
            format!("`{repo}` is not a repository name"),
        );
    }
    if let Some(p) = path {
        let mut off = owner.len() + repo.len() + 2;
        for seg in p.split('/') {
            if seg.is_empty() {
                return err(off, "empty path segment in the action path");
            }
            if seg == "." || seg == ".." {
                return err(off, format!("`{seg}` is not allowed in an action path"));
            }
            off += seg.len() + 1;
        }
    }
    check_ref(git_ref, at + 1)?;
    Ok(ActionRef::Remote(RemoteRef {
        owner: owner.to_string(),
        repo: repo.to_string(),
        path: path.map(str::to_string),
        git_ref: git_ref.to_string(),
    }))
}

/// Checks a name whose allowed characters (`ok`) are all ASCII, so a byte scan finds the
/// first one that is not: every byte before it is ASCII, so it starts a character.
fn check_name(
    name: &str,
    base: usize,
    what: &str,
    ok: impl Fn(u8) -> bool,
) -> Result<(), UsesError> {
    if name.is_empty() {
        return err(base, format!("empty {what} name"));
    }
    match name.bytes().position(|b| !ok(b)) {
        Some(i) => {
            let c = name[i..].chars().next().unwrap_or('?');
            err(base + i, format!("`{c}` cannot appear in a {what} name"))
        }
        None => Ok(()),
    }
}

/// Git's ref-name rules (`git check-ref-format`) that a `uses` ref can break.
fn check_ref(r: &str, base: usize) -> Result<(), UsesError> {
    let fail = |i: usize, m: String| err(base + i, m);
    if r.is_empty() {
        return fail(
            0,
            "empty ref after `@`: name a tag, branch or commit SHA".into(),
        );
    }
    // All of these are ASCII, so a byte scan finds them at their character boundaries.
    if let Some(i) = r
        .bytes()
        .position(|b| matches!(b, b'~' | b'^' | b':' | b'?' | b'*' | b'[' | b'\\'))
    {
        let c = char::from(r.as_bytes()[i]);
        return fail(i, format!("`{c}` cannot appear in a Git ref"));
    }
    for bad in [*b"..", *b"@{", *b"//"] {
        if let Some(i) = find_pair(r, bad) {
            let bad = String::from_utf8_lossy(&bad);
            return fail(i, format!("`{bad}` cannot appear in a Git ref"));
        }
    }
    if r.starts_with('/')
        || r.starts_with('-')
        || r.ends_with('/')
        || r.ends_with('.')
        || r.ends_with(".lock")
    {
        return fail(0, format!("`{r}` is not a valid Git ref name"));
    }
    Ok(())
}

fn docker_err<T>(base: usize, i: usize, message: String) -> Result<T, UsesError> {
    Err(UsesError {
        offset: base + i,
        message,
    })
}

fn parse_docker(image: &str, base: usize) -> Result<DockerRef, UsesError> {
    if image.is_empty() {
        return docker_err(
            base,
            0,
            "`docker://` names no image: expected `docker://IMAGE[:TAG]`".into(),
        );
    }
    let (name, digest) = match image.find('@') {
        Some(i) => (&image[..i], Some((&image[i + 1..], i + 1))),
        None => (image, None),
    };
    if let Some((d, at)) = digest {
        check_digest(d, base + at)?;
    }
    let mut components: Vec<(&str, usize)> = Vec::new();
    let mut off = 0;
    for c in name.split('/') {
        components.push((c, off));
        off += c.len() + 1;
    }
    let registry = registry_of(&mut components, base)?;
    let (last, last_at) = components[components.len() - 1];
    let (last_name, tag) = match last.split_once(':') {
        Some((n, t)) => (n, Some((t, last_at + n.len() + 1))),
        None => (last, None),
    };
    check_components(&components, last_name, base)?;
    if let Some((t, at)) = tag {
        check_tag(t, base + at)?;
    }
    let repo_start = components[0].1;
    Ok(DockerRef {
        registry: registry.map(str::to_string),
        repository: name[repo_start..last_at + last_name.len()].to_string(),
        tag: tag.map(|(t, _)| t.to_string()),
        digest: digest.map(|(d, _)| d.to_string()),
    })
}

/// `sha256:` and 64 hex digits (other algorithms: at least 32).
fn check_digest(d: &str, at: usize) -> Result<(), UsesError> {
    let Some((algo, hex)) = d.split_once(':') else {
        return docker_err(
            at,
            0,
            "a digest is `sha256:` followed by 64 hex digits".into(),
        );
    };
    let algo_ok = !algo.is_empty()
        && algo
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !algo_ok || !hex_ok || (algo == "sha256" && hex.len() != 64) {
        return docker_err(
            at,
            0,
            format!("invalid digest `{d}`: expected `sha256:` followed by 64 hex digits"),
        );
    }
    Ok(())
}

/// The registry host, when the first of several components names one (it has a `.` or a
/// `:`, or is `localhost`); it is taken out of `components`.
fn registry_of<'a>(
    components: &mut Vec<(&'a str, usize)>,
    base: usize,
) -> Result<Option<&'a str>, UsesError> {
    let first = components[0].0;
    if components.len() < 2 || !(first.contains(['.', ':']) || first == "localhost") {
        return Ok(None);
    }
    let (host, port) = match first.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (first, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !host_ok || !port_ok {
        return docker_err(
            base,
            0,
            format!("invalid registry `{first}`: expected a host name with an optional `:port`"),
        );
    }
    components.remove(0);
    Ok(Some(first))
}

/// Each path component: lowercase letters, digits and separators, not at its edges.
fn check_components(
    components: &[(&str, usize)],
    last_name: &str,
    base: usize,
) -> Result<(), UsesError> {
    let n = components.len();
    for (k, (comp, at)) in components.iter().enumerate() {
        let comp = if k + 1 == n { last_name } else { comp };
        if comp.is_empty() {
            return docker_err(base, *at, "empty image name component".into());
        }
        if let Some(i) = comp.find(|c: char| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        }) {
            let c = comp[i..].chars().next().unwrap_or(' ');
            let why = if c.is_ascii_uppercase() {
                "image names must be lowercase"
            } else {
                "image names take only a-z, 0-9, `.`, `_` and `-`"
            };
            return docker_err(base, at + i, format!("`{c}` in image name `{comp}`: {why}"));
        }
        let edge = |c: char| matches!(c, '.' | '_' | '-');
        if comp.starts_with(edge) || comp.ends_with(edge) {
            return docker_err(
                base,
                *at,
                format!("image name component `{comp}` must start and end with a letter or digit"),
            );
        }
    }
    Ok(())
}

fn check_tag(t: &str, at: usize) -> Result<(), UsesError> {
    let ok = !t.is_empty()
        && t.len() <= 128
        && !t.starts_with(['.', '-'])
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !ok {
        return docker_err(at, 0, format!("invalid tag `{t}`: up to 128 of A-Z, a-z, 0-9, `_`, `.`, `-`, not starting with `.` or `-`"));
    }
    Ok(())
}

impl fmt::Display for ActionRef {
    /// The canonical `uses:` text; parsing it gives back an equal value, and for every value
    /// that parses it is the text as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionRef::Local { root, path } => {
                let root = match root {
                    LocalRoot::Workspace => "./",
                    LocalRoot::SelfRepo => "$/",
                };
                write!(f, "{root}{path}")
            }
            ActionRef::Remote(r) => {
                write!(f, "{}/{}", r.owner, r.repo)?;
                if let Some(p) = &r.path {
                    write!(f, "/{p}")?;
                }
                write!(f, "@{}", r.git_ref)
            }
            ActionRef::Docker(d) => write!(f, "docker://{d}"),
        }
    }
}

impl fmt::Display for DockerRef {
    /// The image as Docker names it: `[registry/]repository[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(reg) = &self.registry {
            write!(f, "{reg}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(dg) = &self.digest {
            write!(f, "@{dg}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
