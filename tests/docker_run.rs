//! `gantry run` against the real Docker engine: run steps and shells, env precedence, file
//! and workflow commands, outputs between steps and jobs, container/Dockerfile/composite
//! actions, services, matrices, failure propagation, continue-on-error and timeouts; a run
//! in a directory without git, and jobs whose `runs-on` has no image (skipped, not failed).

mod docker;

use docker::{build_image, Workspace};

/// Env precedence, file and workflow commands, outputs between steps and jobs.
const STEPS_AND_COMMANDS: &str = r####"
on: push
env:
  LEVEL: workflow
  WF_ONLY: wf
jobs:
  first:
    # The Debian runner image (bash); ubuntu-latest is busybox in these tests.
    runs-on: self-hosted
    env:
      LEVEL: job
    defaults:
      run:
        shell: sh
    outputs:
      greeting: ${{ steps.out.outputs.greeting }}
      multi: ${{ steps.out.outputs.multi }}
    steps:
      - name: precedence
        env:
          LEVEL: step
        run: echo "level=$LEVEL wf=$WF_ONLY ci=$CI event=$GITHUB_EVENT_NAME sha=$GITHUB_SHA"
      - name: write files
        id: out
        run: |
          echo "greeting=hello world" >> "$GITHUB_OUTPUT"
          printf 'multi<<EOF\nline one\nline two\nEOF\n' >> "$GITHUB_OUTPUT"
          echo "FROM_ENV_FILE=set by step 2" >> "$GITHUB_ENV"
          echo "LEVEL=env-file" >> "$GITHUB_ENV"
          mkdir -p "$HOME/bin" && printf '#!/bin/sh\necho tool ran\n' > "$HOME/bin/mytool" && chmod +x "$HOME/bin/mytool"
          echo "$HOME/bin" >> "$GITHUB_PATH"
          echo "### summary of step 2" >> "$GITHUB_STEP_SUMMARY"
      - name: read back
        run: |
          echo "env-file=$FROM_ENV_FILE level=$LEVEL"
          mytool
          echo "output=${{ steps.out.outputs.greeting }} outcome=${{ steps.out.outcome }}"
      # GitHub: `set-env` works only with ACTIONS_ALLOW_UNSECURE_COMMANDS=true.
      - name: unsecure commands
        env:
          ACTIONS_ALLOW_UNSECURE_COMMANDS: true
        run: echo "::set-env name=OLD_STYLE::allowed"
      - name: set-env refused
        run: echo "::set-env name=REFUSED::value"
      - name: read unsecure
        run: echo "old-style=$OLD_STYLE refused=${REFUSED:-unset}"
      # GitHub: `shell:` may be an expression.
      - name: shell from an expression
        shell: ${{ env.WF_ONLY == 'wf' && 'bash' || 'sh' }}
        run: echo "expr-shell bash=${BASH_VERSION:+yes}"
      # GitHub: a step's `if:` sees what earlier steps wrote to GITHUB_ENV.
      - name: if sees GITHUB_ENV
        if: env.FROM_ENV_FILE == 'set by step 2'
        run: echo "if-saw-env-file"
      - name: step env beats GITHUB_ENV
        env:
          LEVEL: step-again
        run: echo "level=$LEVEL"
      - name: commands
        run: |
          echo "::add-mask::sup3r-s3cret"
          echo "the value is sup3r-s3cret"
          echo "::group::My group"
          echo "inside"
          echo "::endgroup::"
          echo "::warning file=app.js,line=3::look here"
          echo "::stop-commands::pause"
          echo "::add-mask::not-a-command"
          echo "::pause::"
          echo "not-a-command is visible"
      - name: shells and working directory
        working-directory: sub
        shell: bash
        run: |
          mkdir -p /github/workspace/sub 2>/dev/null; echo "pwd=$(pwd) bash=${BASH_VERSION:+yes}"
      - name: event payload
        run: grep -c octo-org/octo-repo "$GITHUB_EVENT_PATH"
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "from first: ${{ needs.first.outputs.greeting }} / ${{ needs.first.result }}"
          echo "multi: ${{ needs.first.outputs.multi }}" | head -1
"####;

#[test]
fn run_steps_env_outputs_and_file_commands() {
    let ws = Workspace::new();
    ws.workflow(STEPS_AND_COMMANDS);
    std::fs::create_dir_all(ws.path().join("sub")).unwrap();
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let first = r.lines("first").join("\n");
    assert!(
        first.contains(
            "level=step wf=wf ci=true event=push sha=0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
        ),
        "{first}"
    );
    assert!(
        first.contains("env-file=set by step 2 level=env-file"),
        "{first}"
    );
    assert!(first.contains("tool ran"), "{first}");
    assert!(first.contains("if-saw-env-file"), "{first}");
    assert!(first.contains("expr-shell bash=yes"), "{first}");
    assert!(first.contains("old-style=allowed refused=unset"), "{first}");
    assert!(first.contains("`set-env` command is disabled"), "{first}");
    assert!(
        first.contains("output=hello world outcome=success"),
        "{first}"
    );
    assert!(first.contains("level=step-again"), "{first}");
    assert!(first.contains("the value is ***"), "{first}");
    assert!(
        !r.stdout.contains("sup3r-s3cret"),
        "a masked value leaked:\n{}",
        r.stdout
    );
    assert!(first.contains("inside"));
    assert!(
        first.contains("not-a-command is visible"),
        "stop-commands kept commands from running: {first}"
    );
    assert!(
        first.contains("pwd=/github/workspace/sub bash=yes"),
        "{first}"
    );
    assert!(r
        .events
        .iter()
        .any(|e| e["event"] == "group" && e["title"] == "My group"));
    assert!(r.events.iter().any(|e| e["event"] == "annotation"
        && e["level"] == "warning"
        && e["file"] == "app.js"
        && e["line"] == 3));
    assert!(r.events.iter().any(|e| e["event"] == "summary"
        && e["markdown"]
            .as_str()
            .unwrap()
            .contains("summary of step 2")));
    let second = r.lines("second").join("\n");
    assert!(
        second.contains("from first: hello world / success"),
        "{second}"
    );
    assert!(second.contains("multi: line one"), "{second}");
}

#[test]
fn container_dockerfile_and_composite_actions() {
    let ws = Workspace::new();
    ws.write(
        "actions/hello/Dockerfile",
        "FROM gantry/busybox:latest\nCOPY run.sh /run.sh\nENTRYPOINT [\"/bin/sh\", \"/run.sh\"]\n",
    );
    ws.write(
        "actions/hello/run.sh",
        "echo \"hello $INPUT_WHO ($1) workspace=$GITHUB_WORKSPACE\"\necho \"said=hello-$INPUT_WHO\" >> \"$GITHUB_OUTPUT\"\n",
    );
    ws.write(
        "actions/hello/action.yml",
        "name: hello\ninputs:\n  who:\n    default: world\noutputs:\n  said: {}\nruns:\n  using: docker\n  image: Dockerfile\n  args: ['${{ inputs.who }}']\n",
    );
    ws.write(
        "actions/inner/action.yml",
        r#"name: inner
inputs:
  word: { default: inner-default }
outputs:
  echoed:
    value: ${{ steps.e.outputs.v }}
runs:
  using: composite
  steps:
    - id: e
      shell: sh
      run: echo "v=inner saw ${{ inputs.word }}" >> "$GITHUB_OUTPUT"
"#,
    );
    ws.write(
        "actions/outer/action.yml",
        r#"name: outer
inputs:
  word: { required: true }
outputs:
  result:
    value: ${{ steps.call.outputs.echoed }}
runs:
  using: composite
  steps:
    - shell: sh
      run: echo "outer got ${{ inputs.word }} at $GITHUB_ACTION_PATH"
    - id: call
      uses: ./actions/inner
      with:
        word: ${{ inputs.word }}-nested
"#,
    );
    ws.workflow(
        r#"
on: push
jobs:
  actions:
    runs-on: ubuntu-latest
    steps:
      - name: image step
        uses: docker://gantry/busybox:latest
        with:
          entrypoint: /bin/echo
          args: from docker "two words"
      - name: dockerfile action
        id: hello
        uses: ./actions/hello
        with:
          who: gantry
      - name: composite
        id: comp
        uses: ./actions/outer
        with:
          word: composite
      - run: echo "said=${{ steps.hello.outputs.said }} result=${{ steps.comp.outputs.result }}"
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let lines = r.lines("actions").join("\n");
    assert!(lines.contains("from docker two words"), "{lines}");
    assert!(
        lines.contains("hello gantry (gantry) workspace=/github/workspace"),
        "{lines}"
    );
    assert!(
        lines.contains("outer got composite at /github/workspace/actions/outer"),
        "{lines}"
    );
    assert!(
        lines.contains("said=hello-gantry result=inner saw composite-nested"),
        "{lines}"
    );
    // The action image is cached by the hash of its context: a second run does not build.
    let again = ws.run(&[]);
    assert_eq!(again.code(), Some(0), "{}", again.debug());
    let lines = again.lines("actions").join("\n");
    assert!(
        !lines.contains("Step 1/"),
        "the unchanged action was rebuilt:\n{lines}"
    );
    assert!(lines.contains("hello gantry"));
}

#[test]
/// Services after their health check: at `localhost` from a job without `container:` (and
/// by name, also from a `docker://` step), by name from a job with one.
fn services_are_reachable_by_name_after_their_health_check() {
    build_image(
        "gantry-test/httpd:latest",
        "FROM gantry/busybox:latest\nRUN mkdir -p /www && echo served-by-service > /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n",
    );
    let ws = Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  svc:
    runs-on: ubuntu-latest
    services:
      web:
        image: gantry-test/httpd:latest
        options: --health-cmd "wget -qO- http://127.0.0.1:8080/ >/dev/null" --health-interval 1s --health-retries 20
        ports:
          - 8080
    steps:
      - run: wget -qO- http://web:8080/index.html
      # GitHub: a job without `container:` reaches its services at localhost.
      - run: wget -qO- http://localhost:${{ job.services.web.ports['8080'] }}/index.html
      - name: a container action reaches it too
        uses: docker://gantry/busybox:latest
        with:
          entrypoint: wget
          args: -qO- http://web:8080/index.html
      - run: echo "service id ${{ job.services.web.id != '' }}"
  in-container:
    runs-on: ubuntu-latest
    # With `container:`, services are reached by name (as on GitHub).
    container: gantry/busybox:latest
    services:
      web:
        image: gantry-test/httpd:latest
        options: --health-cmd "wget -qO- http://127.0.0.1:8080/ >/dev/null" --health-interval 1s --health-retries 20
    steps:
      - run: wget -qO- http://web:8080/index.html
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let lines = r.lines("svc").join("\n");
    assert_eq!(lines.matches("served-by-service").count(), 3, "{lines}");
    assert!(lines.contains("service id true"), "{lines}");
    let lines = r.lines("in-container").join("\n");
    assert_eq!(lines.matches("served-by-service").count(), 1, "{lines}");
}

#[test]
fn matrix_failures_continue_on_error_and_needs() {
    let ws = Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  legs:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: true
      matrix:
        n: [1, 2]
    steps:
      - run: |
          if [ "${{ matrix.n }}" = 1 ]; then echo failing; exit 3; fi
          sleep 20
          echo leg 2 finished
  tolerant:
    runs-on: ubuntu-latest
    steps:
      - name: allowed to fail
        continue-on-error: true
        run: exit 1
      - name: still runs
        run: echo after the tolerated failure
      - name: only on failure
        if: failure()
        run: echo should not run
  dependent:
    needs: legs
    runs-on: ubuntu-latest
    steps:
      - run: echo should be skipped
  reporter:
    needs: [legs, tolerant]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "legs=${{ needs.legs.result }} tolerant=${{ needs.tolerant.result }}"
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    assert_eq!(r.conclusion(), "failure");
    assert_eq!(r.job("legs (1)")["conclusion"], "failure");
    assert!(r.job("legs (1)")["reason"]
        .as_str()
        .unwrap()
        .contains("exit code 3"));
    assert_eq!(
        r.job("legs (2)")["conclusion"],
        "cancelled",
        "fail-fast cancels the sibling leg"
    );
    assert!(!r.lines("legs (2)").join("\n").contains("leg 2 finished"));
    assert_eq!(r.job("tolerant")["conclusion"], "success");
    let s = r.step("tolerant", "allowed to fail");
    assert_eq!(
        (s["outcome"].as_str(), s["conclusion"].as_str()),
        (Some("failure"), Some("success"))
    );
    assert_eq!(
        r.step("tolerant", "only on failure")["conclusion"],
        "skipped"
    );
    assert_eq!(r.job("dependent")["conclusion"], "skipped");
    let rep = r.lines("reporter").join("\n");
    assert!(rep.contains("legs=failure tolerant=success"), "{rep}");
}

#[test]
fn step_and_job_timeouts() {
    let ws = Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  slow-step:
    runs-on: ubuntu-latest
    steps:
      - name: sleeps too long
        timeout-minutes: 0.02
        run: sleep 60
      - name: cleanup
        if: always()
        run: echo cleanup ran
  slow-job:
    runs-on: ubuntu-latest
    timeout-minutes: 0.03
    steps:
      - run: sleep 60
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(1), "{}", r.debug());
    let s = r.step("slow-step", "sleeps too long");
    assert_eq!(s["conclusion"], "failure");
    assert!(s["reason"].as_str().unwrap().contains("timeout"), "{s}");
    assert!(r.lines("slow-step").join("\n").contains("cleanup ran"));
    let j = r.job("slow-job");
    assert_eq!(j["conclusion"], "failure");
    assert!(j["reason"].as_str().unwrap().contains("timeout"), "{j}");
    // Both stopped long before the 60 s sleeps would have ended.
    assert!(j["duration_ms"].as_u64().unwrap() < 30_000, "{j}");
}

#[test]
fn local_reusable_workflows_with_inputs_secrets_and_outputs() {
    let ws = Workspace::new();
    ws.write(
        ".github/workflows/called.yml",
        r#"
on:
  workflow_call:
    inputs:
      who: { type: string, required: true }
      count: { type: number, default: 2 }
      from-needs: { type: string }
    secrets:
      token: { required: true }
    outputs:
      greeting:
        value: ${{ jobs.greet.outputs.text }}
jobs:
  greet:
    runs-on: ubuntu-latest
    outputs:
      text: ${{ steps.g.outputs.text }}
    steps:
      - id: g
        run: |
          echo "hello ${{ inputs.who }} x${{ inputs.count }} from-needs=${{ inputs.from-needs }}"
          echo "token=${{ secrets.token }} other=[${{ secrets.NOT_PASSED }}]"
          echo "text=greeted ${{ inputs.who }}" >> "$GITHUB_OUTPUT"
"#,
    );
    ws.workflow(
        r#"
on: push
jobs:
  prepare:
    runs-on: ubuntu-latest
    outputs:
      value: ${{ steps.p.outputs.value }}
    steps:
      - id: p
        run: echo "value=prepared" >> "$GITHUB_OUTPUT"
  call:
    needs: prepare
    uses: ./.github/workflows/called.yml
    with:
      who: gantry
      from-needs: ${{ needs.prepare.outputs.value }}
    secrets:
      token: ${{ secrets.OUTER_TOKEN }}
  inherit:
    uses: ./.github/workflows/called.yml
    with:
      who: inheritor
    secrets: inherit
  after:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo "call said ${{ needs.call.outputs.greeting }} (${{ needs.call.result }})"
"#,
    );
    let r = ws.run(&[
        "-s",
        "OUTER_TOKEN=outer-secret-1",
        "-s",
        "NOT_PASSED=np-2",
        "-s",
        "TOKEN=inherited-3",
    ]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let called = r.lines("call/greet").join("\n");
    assert!(
        called.contains("hello gantry x2 from-needs=prepared"),
        "{called}"
    );
    assert!(
        called.contains("token=*** other=[]"),
        "only passed secrets reach the call: {called}"
    );
    let inherited = r.lines("inherit/greet").join("\n");
    assert!(inherited.contains("hello inheritor x2"), "{inherited}");
    assert!(
        inherited.contains("token=*** other=[***]"),
        "inherit passes every secret: {inherited}"
    );
    let after = r.lines("after").join("\n");
    assert!(
        after.contains("call said greeted gantry (success)"),
        "{after}"
    );
    for leak in ["outer-secret-1", "np-2", "inherited-3"] {
        assert!(!r.stdout.contains(leak), "{leak} leaked");
    }
}

/// The CI pattern of most projects: a database service reached at `localhost:<port>` from a
/// job without `container:` (GitHub publishes service ports on the runner's host; Gantry's
/// services share the job container's network namespace). A real Redis (Debian's
/// redis-server, built by scripts/setup-docker.sh) stores and returns a value.
#[test]
fn a_database_service_is_reached_at_localhost_from_a_job_without_container() {
    let img = std::process::Command::new("docker")
        .args(["image", "inspect", "gantry-test/redis:7"])
        .output()
        .unwrap();
    assert!(
        img.status.success(),
        "the image gantry-test/redis:7 is missing: run scripts/setup-docker.sh"
    );
    let ws = Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  db:
    runs-on: self-hosted
    services:
      redis:
        image: gantry-test/redis:7
        ports:
          - 6379:6379
        options: --health-cmd "redis-cli ping" --health-interval 1s --health-retries 30
    steps:
      - name: talk to redis on localhost
        shell: bash
        run: |
          exec 3<>/dev/tcp/localhost/${{ job.services.redis.ports['6379'] }}
          printf 'SET greeting from-the-service\r\nGET greeting\r\n' >&3
          for i in 1 2 3; do read -r line <&3; echo "redis said: ${line%$'\r'}"; done
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let lines = r.lines("db").join("\n");
    assert!(lines.contains("redis said: +OK"), "{lines}");
    assert!(lines.contains("redis said: from-the-service"), "{lines}");
}

#[test]
fn run_without_git_is_a_synthetic_push_of_the_working_tree() {
    let ws = Workspace::new();
    ws.workflow(
        r#"
on:
  push:
    branches: [main]
    paths: ['src/**']
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "sha=$GITHUB_SHA repo=$GITHUB_REPOSITORY ref=$GITHUB_REF"
          echo "expr=${{ github.sha }} ${{ github.repository }}"
          cat notes.txt
"#,
    );
    ws.write("notes.txt", "from the working tree\n");
    // No --payload, no -W, no --workspace: the directory itself, which is no repository.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["run", "--format", "json"])
        .args(["-P", "ubuntu-latest=gantry/busybox:latest"])
        .current_dir(ws.path())
        .env("GIT_CEILING_DIRECTORIES", ws.path().parent().unwrap())
        .output()
        .unwrap();
    let r = docker::Run::from(o);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert_eq!(r.conclusion(), "success");
    let name = ws.path().file_name().unwrap().to_string_lossy();
    let zero = "0000000000000000000000000000000000000000";
    let lines = r.lines("show");
    for want in [
        format!("sha={zero} repo=local/{name} ref=refs/heads/main"),
        format!("expr={zero} local/{name}"),
        "from the working tree".to_string(),
    ] {
        assert!(lines.contains(&want), "missing {want:?} in {lines:#?}");
    }
}

#[test]
fn a_runs_on_without_an_image_is_skipped_and_fails_nothing() {
    let ws = Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  build:
    strategy:
      # fail-fast (the default) would cancel the ubuntu leg if the macos one failed.
      matrix:
        os: [ubuntu-latest, macos-latest]
    runs-on: ${{ matrix.os }}
    steps:
      - run: sleep 2; echo "built on ${{ matrix.os }}"
  after:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "build was ${{ needs.build.result }}"
  mac-only:
    runs-on: macos-latest
    steps:
      - run: echo never
  after-mac:
    needs: mac-only
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  report:
    needs: mac-only
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "mac-only was ${{ needs.mac-only.result }}"
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    assert_eq!(r.conclusion(), "success");
    assert_eq!(r.job("build (ubuntu-latest)")["conclusion"], "success");
    assert!(r
        .lines("build (ubuntu-latest)")
        .contains(&"built on ubuntu-latest".to_string()));
    for job in ["build (macos-latest)", "mac-only"] {
        let j = r.job(job);
        assert_eq!(j["conclusion"], "skipped", "{job}: {j}");
        assert_eq!(
            j["reason"],
            "no image for runs-on [macos-latest]; map a label with -P macos-latest=IMAGE"
        );
        assert!(r.lines(job).is_empty(), "{job} ran: {:?}", r.lines(job));
    }
    assert!(r.lines("after").contains(&"build was success".to_string()));
    assert_eq!(r.job("after-mac")["conclusion"], "skipped");
    assert_eq!(r.job("after-mac")["reason"], "a job it needs was skipped");
    assert!(r
        .lines("report")
        .contains(&"mac-only was skipped".to_string()));
}

#[test]
fn a_matrix_from_a_needed_jobs_outputs_runs_real_legs() {
    // GitHub's run-time matrix: the dimension's name and values come from `setup`'s
    // outputs, an item yielding an array is spliced in, and `include` adds to a leg.
    let ws = Workspace::new();
    ws.workflow(
        r#"
on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    outputs:
      key: ${{ steps.s.outputs.key }}
      list: ${{ steps.s.outputs.list }}
    steps:
      - id: s
        run: |
          echo 'key=os' >> "$GITHUB_OUTPUT"
          echo 'list=["bookworm","trixie"]' >> "$GITHUB_OUTPUT"
  test:
    needs: setup
    runs-on: ubuntu-latest
    strategy:
      matrix:
        ${{ needs.setup.outputs.key }}: ${{ fromJSON(needs.setup.outputs.list) }}
        n: [1, "${{ fromJSON('[2]') }}"]
        include:
          - os: trixie
            n: 2
            extra: yes
    steps:
      - run: echo "leg os=${{ matrix.os }} n=${{ matrix.n }} extra=${{ matrix.extra }}"
"#,
    );
    let r = ws.run(&[]);
    assert_eq!(r.code(), Some(0), "{}", r.debug());
    let mut legs = Vec::new();
    // A leg's name lists its values, an included one's too (as GitHub names it).
    for values in ["bookworm, 1", "bookworm, 2", "trixie, 1", "trixie, 2, yes"] {
        let name = format!("test ({values})");
        assert_eq!(
            r.job(&name)["conclusion"],
            "success",
            "{name}: {}",
            r.debug()
        );
        legs.push(r.lines(&name).join("\n"));
    }
    assert!(
        legs[0].contains("leg os=bookworm n=1 extra="),
        "{}",
        legs[0]
    );
    assert!(
        legs[3].contains("leg os=trixie n=2 extra=yes"),
        "{}",
        legs[3]
    );
}
