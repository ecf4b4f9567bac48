//! The run page's job graph, laid out on the server: one node per job id (a matrix job's
//! legs, or a called workflow's jobs, grouped in one node that counts and lists them),
//! columns by depth along `needs` (the longest path from a job that needs nothing), one
//! edge per `needs` pair, and each node's state the worst of its legs' (failure >
//! cancelled > in progress > queued/waiting > success > skipped). The template
//! `graph.html` draws it as inline SVG (escaped by minijinja, classes only: the CSP allows
//! no inline style). Pure: the page passes the plan's graph and the attempt's job rows.

use super::attempt::Part;
use gantry_store::PlannedJob;
use serde::Serialize;

/// A node's box: its width, the header's height, a listed leg's line, the gaps between.
const WIDTH: i64 = 170;
const HEAD: i64 = 46;
const LINE: i64 = 16;
const COLUMN_GAP: i64 = 56;
const ROW_GAP: i64 = 16;
const PAD: i64 = 8;
/// Legs listed in a node at most (the rest are counted: "+ 3 more").
const LISTED: usize = 4;
/// Characters of a name shown in a node at most (the whole name is its `<title>`).
const SHOWN: usize = 22;

/// What the graph is made from.
pub struct Spec<'a> {
    /// The plan's jobs (empty for a run recorded before plans were kept).
    pub jobs: &'a [PlannedJob],
    /// The jobs of the attempt shown, from its rows.
    pub parts: &'a [Part],
    /// The attempt has ended: a job without a row never ran (skipped), not queued.
    pub ended: bool,
}

/// A node's state, in rank order: the worst leg's is the node's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeState {
    Skipped,
    Success,
    Waiting,
    Queued,
    InProgress,
    Cancelled,
    Failure,
}

impl NodeState {
    /// A job row's state (a conclusion, else a status) as a node state.
    pub fn of_row(state: &str) -> NodeState {
        match state {
            "failure" | "interrupted" => NodeState::Failure,
            "cancelled" => NodeState::Cancelled,
            "in_progress" => NodeState::InProgress,
            "waiting" => NodeState::Waiting,
            "success" | "completed" => NodeState::Success,
            "skipped" => NodeState::Skipped,
            _ => NodeState::Queued,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Skipped => "skipped",
            NodeState::Success => "success",
            NodeState::Waiting => "waiting",
            NodeState::Queued => "queued",
            NodeState::InProgress => "in_progress",
            NodeState::Cancelled => "cancelled",
            NodeState::Failure => "failure",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Graph {
    pub node_width: i64,
    pub width: i64,
    pub height: i64,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Serialize)]
pub struct Node {
    pub id: String,
    /// The name shown (shortened); `title` is the whole of it.
    pub label: String,
    pub title: String,
    /// The first leg's key: the node links to its job section.
    pub href: String,
    /// The legs' keys as a JSON list (`data-legs`, read by pages.js to recompute the
    /// state live) and those skipped at plan time (`data-skipped`).
    pub legs_json: String,
    pub skipped_json: String,
    /// The legs' names as listed in the node (a single job lists none).
    pub listed: Vec<Listed>,
    pub count: usize,
    pub depth: usize,
    pub state: &'static str,
    pub x: i64,
    pub y: i64,
    pub h: i64,
}

#[derive(Debug, Serialize)]
pub struct Listed {
    pub y: i64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// The SVG path from the right side of `from` to the left side of `to`.
    pub d: String,
}

/// One job id's legs before layout.
struct Group {
    id: String,
    names: Vec<String>,
    keys: Vec<String>,
    skipped: Vec<String>,
    needs: Vec<String>,
    state: NodeState,
}

/// Lays the graph out.
pub fn layout(spec: &Spec<'_>) -> Graph {
    let groups = groups(spec);
    let depths = depths(&groups);
    let mut nodes = Vec::with_capacity(groups.len());
    let mut next_y = vec![PAD; depths.iter().max().map_or(1, |d| d + 1)];
    for (g, depth) in groups.iter().zip(&depths) {
        let node = node(g, *depth, next_y[*depth]);
        next_y[*depth] = node.y + node.h + ROW_GAP;
        nodes.push(node);
    }
    let edges = edges(&groups, &nodes);
    let columns = next_y.len() as i64;
    Graph {
        node_width: WIDTH,
        width: 2 * PAD + columns * WIDTH + (columns - 1) * COLUMN_GAP,
        height: next_y.iter().max().copied().unwrap_or(PAD) - ROW_GAP + PAD,
        nodes,
        edges,
    }
}

/// The plan's jobs grouped by id (in plan order), then rows the plan does not name: a leg
/// planned at run time (`id (…)`, `id/…`) joins its id's node, any other is a node alone.
fn groups(spec: &Spec<'_>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for j in spec.jobs {
        let i = match groups.iter().position(|g| g.id == j.id) {
            Some(i) => i,
            None => {
                groups.push(group(&j.id, j.needs.clone()));
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.names.push(j.name.clone());
        g.keys.push(j.key.clone());
        if j.skipped {
            g.skipped.push(j.key.clone());
        }
        g.state = g.state.max(leg_state(spec, &j.key, j.skipped));
    }
    for p in spec.parts {
        if groups.iter().any(|g| g.keys.contains(&p.key)) {
            continue;
        }
        let at = groups.iter().position(|g| belongs(&p.key, &g.id));
        let g = match at {
            Some(i) => &mut groups[i],
            None => {
                groups.push(group(&p.key, Vec::new()));
                groups.last_mut().expect("just pushed")
            }
        };
        g.names.push(p.name.clone());
        g.keys.push(p.key.clone());
        g.state = g.state.max(NodeState::of_row(&p.state));
    }
    groups
}

fn group(id: &str, needs: Vec<String>) -> Group {
    Group {
        id: id.to_string(),
        names: Vec::new(),
        keys: Vec::new(),
        skipped: Vec::new(),
        needs,
        state: NodeState::Skipped,
    }
}

/// Whether a job key not in the plan is a leg of job `id` planned at run time.
pub fn belongs(key: &str, id: &str) -> bool {
    key.strip_prefix(id)
        .is_some_and(|rest| rest.starts_with(" (") || rest.starts_with('/'))
}

/// A leg's state: skipped at plan time, else its row's, else queued (or skipped once the
/// attempt has ended without it).
fn leg_state(spec: &Spec<'_>, key: &str, skipped: bool) -> NodeState {
    if skipped {
        return NodeState::Skipped;
    }
    match spec.parts.iter().find(|p| p.key == key) {
        Some(p) => NodeState::of_row(&p.state),
        None if spec.ended => NodeState::Skipped,
        None => NodeState::Queued,
    }
}

/// Each group's depth: 0 when it needs nothing in the graph, else one more than the
/// deepest job it needs. Relaxed at most once per group, so a cycle (never planned, but
/// this reads stored text) ends instead of looping.
fn depths(groups: &[Group]) -> Vec<usize> {
    let mut depth = vec![0usize; groups.len()];
    for _ in 0..groups.len() {
        let mut changed = false;
        for (i, g) in groups.iter().enumerate() {
            let deepest = needed(groups, g).map(|n| depth[n] + 1).max().unwrap_or(0);
            let capped = deepest.min(groups.len().saturating_sub(1));
            if capped > depth[i] {
                depth[i] = capped;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

/// The indices of the groups `g` needs (each once; itself and unknown ids left out).
fn needed<'a>(groups: &'a [Group], g: &'a Group) -> impl Iterator<Item = usize> + 'a {
    let mut seen = Vec::new();
    g.needs.iter().filter_map(move |n| {
        let i = groups.iter().position(|o| &o.id == n && o.id != g.id)?;
        (!seen.contains(&i)).then(|| {
            seen.push(i);
            i
        })
    })
}

fn node(g: &Group, depth: usize, y: i64) -> Node {
    let title = title(g);
    let listed: Vec<Listed> = if g.names.len() > 1 {
        let mut lines: Vec<String> = g.names.iter().take(LISTED).map(|n| short(n)).collect();
        if g.names.len() > LISTED {
            lines.push(format!("+ {} more", g.names.len() - LISTED));
        }
        lines
            .into_iter()
            .enumerate()
            .map(|(i, text)| Listed {
                y: y + HEAD + LINE * i as i64 + 4,
                text,
            })
            .collect()
    } else {
        Vec::new()
    };
    let h = HEAD + LINE * listed.len() as i64 + if listed.is_empty() { 0 } else { 6 };
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    Node {
        id: g.id.clone(),
        label: short(&title),
        title,
        href: g.keys.first().cloned().unwrap_or_default(),
        legs_json: json(&g.keys),
        skipped_json: json(&g.skipped),
        listed,
        count: g.keys.len(),
        depth,
        state: g.state.as_str(),
        x: PAD + depth as i64 * (WIDTH + COLUMN_GAP),
        y,
        h,
    }
}

/// A node's name: a single job's own; a matrix job's legs' name before their values
/// (`build` of `build (1)`, `build (2)`), else the job id.
fn title(g: &Group) -> String {
    if let [one] = g.names.as_slice() {
        return one.clone();
    }
    let first = g.names.first().map_or("", |n| n.as_str());
    let prefix = first.split(" (").next().unwrap_or("");
    let shared = g
        .names
        .iter()
        .all(|n| n == prefix || n.starts_with(&format!("{prefix} (")));
    if shared && !prefix.trim().is_empty() {
        prefix.to_string()
    } else {
        g.id.clone()
    }
}

/// `text` cut to [`SHOWN`] characters (never inside one), with an ellipsis when cut.
fn short(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(SHOWN - 1).collect();
    cut.push('…');
    cut
}

/// One edge per (needed, needing) pair of nodes.
fn edges(groups: &[Group], nodes: &[Node]) -> Vec<Edge> {
    let mut out = Vec::new();
    for (to, g) in groups.iter().enumerate() {
        for from in needed(groups, g) {
            let (a, b) = (&nodes[from], &nodes[to]);
            let (x1, y1) = (a.x + WIDTH, a.y + HEAD / 2);
            let (x2, y2) = (b.x, b.y + HEAD / 2);
            let mid = (x1 + x2) / 2;
            out.push(Edge {
                from: a.id.clone(),
                to: b.id.clone(),
                d: format!("M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}"),
            });
        }
    }
    out
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
