//! Concurrent steps against the real Docker engine with the real `gantry` binary: a
//! `parallel:` group of three steps and a `background:` step taken by a `wait` overlap (the
//! job takes well under the sum of its steps), each step's outputs reach the steps after
//! the group or the wait, each log line is attributed to its own step, and a failing step
//! of a group fails its job.

mod docker;

use docker::Workspace;
use serde_json::Value;

const WORKFLOW: &str = r#"
on: push
jobs:
  par:
    runs-on: ubuntu-latest
    outputs:
      all: ${{ steps.a.outputs.v }}${{ steps.b.outputs.v }}${{ steps.c.outputs.v }}
      bg: ${{ steps.bg.outputs.v }}
    steps:
      - id: bg
        background: true
        run: |
          sleep 2
          echo "line from bg"
          echo "v=bg" >> "$GITHUB_OUTPUT"
      - parallel:
          - id: a
            run: |
              sleep 2
              echo "line from a"
              echo "v=a" >> "$GITHUB_OUTPUT"
              echo "SAME=a" >> "$GITHUB_ENV"
          - id: b
            run: |
              sleep 2
              echo "line from b"
              echo "v=b" >> "$GITHUB_OUTPUT"
              echo "SAME=b" >> "$GITHUB_ENV"
          - id: c
            run: |
              sleep 2
              echo "line from c"
              echo "v=c" >> "$GITHUB_OUTPUT"
              echo "SAME=c" >> "$GITHUB_ENV"
      - name: after the group
        run: |
          echo "got ${{ steps.a.outputs.v }}${{ steps.b.outputs.v }}${{ steps.c.outputs.v }} same=$SAME bg=[${{ steps.bg.outputs.v }}]"
      - name: wait for bg
        wait: bg
      - name: after the wait
        run: echo "bg said ${{ steps.bg.outputs.v }}"
  consume:
    needs: par
    runs-on: ubuntu-latest
    steps:
      - run: echo "needs ${{ needs.par.outputs.all }} ${{ needs.par.outputs.bg }}"
  broken:
    runs-on: ubuntu-latest
    steps:
      - parallel:
          - name: fine
            run: sleep 1
          - name: bad
            run: exit 3
      - name: never
        run: echo never
"#;

/// How long a finished step took.
fn duration(step: &Value) -> u64 {
    step["duration_ms"].as_u64().unwrap_or_default()
}

#[test]
fn parallel_and_background_steps_overlap_and_keep_their_outputs_and_logs() {
    let ws = Workspace::new();
    ws.workflow(WORKFLOW);
    let run = ws.run(&[]);
    let dbg = run.debug();

    let par = run.job("par");
    assert_eq!(par["conclusion"], "success", "{dbg}");
    // Each of the four steps sleeps 2 s: one after another they would take their sum.
    let serial: u64 = ["a", "b", "c", "bg"]
        .iter()
        .map(|s| duration(run.step("par", s)))
        .sum();
    assert!(serial >= 8000, "each step slept 2 s: {serial} ms\n{dbg}");
    let job_ms = par["duration_ms"].as_u64().unwrap_or(u64::MAX);
    assert!(
        job_ms + 2500 < serial,
        "the job ({job_ms} ms) overlaps its steps (serially {serial} ms)\n{dbg}"
    );

    // Outputs and env after the group (in step order); the background step's only after
    // its wait.
    let lines = run.lines("par");
    assert!(lines.contains(&"got abc same=c bg=[]".to_string()), "{dbg}");
    assert!(lines.contains(&"bg said bg".to_string()), "{dbg}");
    // The job's outputs, from steps of the group and the background step.
    let consumed = run.lines("consume");
    assert!(consumed.contains(&"needs abc bg".to_string()), "{dbg}");

    // Every line under its own step: the group is step 2, the background step is step 1.
    for (text, label) in [
        ("line from bg", "1"),
        ("line from a", "2.1"),
        ("line from b", "2.2"),
        ("line from c", "2.3"),
    ] {
        let event = run
            .events
            .iter()
            .find(|e| e["event"] == "log" && e["line"] == text)
            .unwrap_or_else(|| panic!("no line `{text}`\n{dbg}"));
        assert_eq!(event["step"], label, "{dbg}");
    }

    let broken = run.job("broken");
    assert_eq!(broken["conclusion"], "failure", "{dbg}");
    assert_eq!(run.step("broken", "fine")["conclusion"], "success", "{dbg}");
    assert_eq!(run.step("broken", "bad")["conclusion"], "failure", "{dbg}");
    assert_eq!(
        run.step("broken", "never")["conclusion"],
        "skipped",
        "{dbg}"
    );
    assert_eq!(run.conclusion(), "failure", "{dbg}");
    assert_eq!(run.code(), Some(1), "{dbg}");
}

const CANCEL: &str = r#"
on: push
jobs:
  watch:
    runs-on: ubuntu-latest
    steps:
      - id: monitor
        background: true
        run: |
          trap 'echo "monitor stopped"; exit 143' TERM
          echo "monitor up"
          while true; do sleep 1; done
      - name: work
        run: sleep 1
      - name: stop the monitor
        cancel: monitor
      - name: after
        run: echo "monitor was ${{ steps.monitor.conclusion }}"
"#;

#[test]
fn cancel_stops_a_background_step_in_its_container() {
    let ws = Workspace::new();
    ws.workflow(CANCEL);
    let run = ws.run(&[]);
    let dbg = run.debug();
    let job = run.job("watch");
    assert_eq!(job["conclusion"], "success", "{dbg}");
    assert_eq!(
        run.step("watch", "monitor")["conclusion"],
        "cancelled",
        "{dbg}"
    );
    assert_eq!(
        run.step("watch", "stop the monitor")["conclusion"],
        "success",
        "{dbg}"
    );
    let lines = run.lines("watch");
    assert!(lines.contains(&"monitor up".to_string()), "{dbg}");
    assert!(
        lines.contains(&"monitor was cancelled".to_string()),
        "{dbg}"
    );
    // Stopped by its TERM, long before its grace period would have ended in a KILL.
    let ms = job["duration_ms"].as_u64().unwrap_or(u64::MAX);
    assert!(ms < 7500, "the job took {ms} ms\n{dbg}");
    assert_eq!(run.code(), Some(0), "{dbg}");
}
