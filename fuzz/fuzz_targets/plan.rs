//! Fuzzes the event + workflow → plan path: the input is split into a workflow file and an
//! event payload; whatever validates is planned for that event. Nothing may panic.
#![no_main]

use gantry_plan::event;
use gantry_plan::{plan, resolve::NoFiles, PlanOptions, WorkflowFile};
use gantry_core::validate::{check_bytes, FileKind};
use libfuzzer_sys::fuzz_target;

const EVENTS: &[&str] = &["push", "workflow_dispatch", "kafka", "webhook", "pull_request", "schedule"];

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(1));
    let name = EVENTS[head.first().copied().unwrap_or(0) as usize % EVENTS.len()];
    let cut = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let (wf_bytes, payload) = (&rest[..cut], rest.get(cut + 1..).unwrap_or_default());
    let checked = check_bytes(wf_bytes, FileKind::Workflow);
    let Some(wf) = checked.workflow.as_ref() else { return };
    let payload = std::str::from_utf8(payload).ok().and_then(|p| serde_json::from_str(p).ok()).unwrap_or_else(|| {
        serde_json::json!({"ref": "refs/heads/main", "topic": "orders", "hook": "deploy", "inputs": {"a": "1"}, "pull_request": {"base": {"ref": "main"}}})
    });
    let Ok(ev) = event::from_payload(name, payload) else { return };
    let files = [WorkflowFile { path: "fuzz.yml", workflow: Some(wf), errors: Vec::new() }];
    let _ = plan(&ev, &files, &PlanOptions::default(), &NoFiles);
});
