//! `uses:` steps: loading the action (local, `$/`, or a remote repository copied into the
//! job container once per job), then running it by kind — a container image, a Dockerfile
//! built on the host, a composite action's steps, or a JavaScript action under `node`.

use super::*;

impl<B: ContainerBackend> JobRunner<B> {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn run_uses(
        &mut self,
        label: &str,
        name: &str,
        uses: &str,
        with: &StrMap,
        env: EnvMap,
        host: &RunHost,
        files: &StepFiles,
        action_id: &str,
        timeout: Option<Duration>,
    ) -> Result<StepResult, EngineError> {
        if let Some(image) = uses.strip_prefix("docker://") {
            let call = DockerAction {
                label,
                name,
                uses,
                with,
                host,
                timeout,
            };
            return self.image_step(&call, image, &env, files, action_id).await;
        }
        let la = self.load_action(uses).await?;
        let inputs = actions::inputs(&la.action, with, host).map_err(EngineError::Expression)?;
        let mut penv = self.process_env(&env, files, action_id);
        for (k, v) in &inputs {
            penv.push((actions::input_var(k), v.clone()));
        }
        penv.push(("GITHUB_ACTION_PATH".into(), la.container_dir.clone()));
        let mut inputs_ctx = Object::new();
        for (k, v) in &inputs {
            inputs_ctx.insert(k.clone(), Value::str(v));
        }
        let mut ahost = host.clone();
        ahost.set("inputs", Value::object(inputs_ctx.clone()));
        let runs = la.action.runs.clone().ok_or_else(|| EngineError::Action {
            uses: uses.into(),
            message: "no `runs:`".into(),
        })?;
        match runs.kind {
            RunsKind::Docker(d) => {
                let call = DockerAction {
                    label,
                    name,
                    uses,
                    with,
                    host: &ahost,
                    timeout,
                };
                self.docker_action(&call, la, &d, inputs, penv).await
            }
            RunsKind::Composite { steps } => {
                self.composite_action(label, uses, &la, &steps, inputs_ctx, env)
                    .await
            }
            RunsKind::Node(n) => {
                let main = n.main.as_ref().map(|m| m.value.clone()).ok_or_else(|| {
                    EngineError::Action {
                        uses: uses.into(),
                        message: format!("{}: `runs.main` is missing", la.file),
                    }
                })?;
                let script = format!("{}/{}", la.container_dir, main);
                let wd = WORKSPACE.to_string();
                let argv = vec![
                    "sh".into(),
                    "-c".into(),
                    "command -v node >/dev/null 2>&1 || { echo \"node is not installed in the job image; JavaScript actions need it\" >&2; exit 127; }; exec node \"$0\"".into(),
                    script,
                ];
                let tag = format!("{}", self.counter);
                let (r, effects) = self
                    .exec(label, &tag, argv, wd, penv.clone(), timeout)
                    .await?;
                let mut state = effects.state.clone();
                if let Ok(text) = files.read("GITHUB_STATE") {
                    state.extend(parse_key_values(&text).unwrap_or_default());
                }
                if n.post.is_some() {
                    self.posts.push(Post {
                        label: format!("post {label}"),
                        name: format!("Post {name}"),
                        action: la,
                        inputs,
                        state,
                        env: penv.into_iter().collect(),
                        main_failed: r.outcome != Conclusion::Success,
                    });
                }
                Ok(r)
            }
            RunsKind::Unknown => Err(EngineError::Action {
                uses: uses.into(),
                message: format!(
                    "{}: unknown `runs.using: {}` (expected docker, composite, node20 or node24)",
                    la.file, runs.using.value
                ),
            }),
        }
    }

    pub(super) async fn load_action(&mut self, uses: &str) -> Result<LoadedAction, EngineError> {
        if let Some(rel) = uses.strip_prefix("./").or_else(|| uses.strip_prefix("$/")) {
            let rel = rel.trim_end_matches('/');
            let dir = self.cx.cfg.workspace.join(rel);
            return actions::load(&dir, format!("{WORKSPACE}/{rel}"), uses);
        }
        let err = |message: String| EngineError::Action {
            uses: uses.into(),
            message,
        };
        let (repo, path, git_ref) = crate::engine::remote::split(uses)
            .ok_or_else(|| err("expected owner/repo[/path]@ref".into()))?;
        let root = self
            .cx
            .actions
            .repository(&repo, &git_ref)
            .await
            .map_err(err)?;
        let base = crate::engine::remote::container_dir(&repo, &git_ref);
        // Copied once per job: composite and JavaScript actions run from these files.
        if !self.uploaded.contains(&base) {
            let dir = root.clone();
            let tar = tokio::task::spawn_blocking(move || crate::engine::workspace::tar_dir(&dir))
                .await
                .map_err(|e| err(e.to_string()))?
                .map_err(|e| err(format!("reading {}: {e}", root.display())))?;
            let mkdir = ExecSpec {
                cmd: vec!["mkdir".into(), "-p".into(), base.clone()],
                ..Default::default()
            };
            let (tx, _rx) = mpsc::unbounded_channel();
            self.cx.backend.exec(&self.container, &mkdir, tx).await?;
            self.cx.backend.upload(&self.container, &base, tar).await?;
            self.uploaded.push(base.clone());
        }
        let (dir, cdir) = if path.is_empty() {
            (root, base)
        } else {
            (root.join(&path), format!("{base}/{path}"))
        };
        actions::load(&dir, cdir, uses)
    }

    /// A container action step: `docker run` of the image with the job's mounts.
    pub(super) async fn container_step(
        &mut self,
        label: &str,
        image: String,
        entrypoint: Option<String>,
        args: Vec<String>,
        env: Vec<(String, String)>,
        timeout: Option<Duration>,
    ) -> Result<StepResult, EngineError> {
        let spec = container_action::spec(
            &self.cx,
            &self.key,
            &self.counter.to_string(),
            &image,
            entrypoint,
            args,
            env,
            self.layout.mounts(),
            &self.container,
        );
        let (tx, rx) = mpsc::unbounded_channel::<Chunk>();
        let out = output::spawn(self.output_cx(label), rx);
        let id = self.cx.backend.create_container(&spec).await;
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                drop(tx);
                let _ = out.await;
                return Err(e.into());
            }
        };
        let backend = self.cx.backend.clone();
        let cid = id.clone();
        let mut fut = Box::pin(async move { backend.run_container(&cid, tx).await });
        let token = if self.token.is_cancelled() {
            self.cx.signals.force.clone()
        } else {
            self.token.clone()
        };
        let stopped = container_action::wait(&self.cx, &id, &mut fut, timeout, &token).await;
        drop(fut);
        let backend = self.cx.backend.clone();
        self.removals.push(tokio::spawn(async move {
            let _ = backend.remove_container(&id).await;
        }));
        let effects = out.await.unwrap_or_default();
        let mut result = stopped.into_result()?;
        self.absorb(&effects, &mut result);
        Ok(result)
    }
}

/// A container action's step (`runs.using: docker`), as `run_uses` received it.
struct DockerAction<'a> {
    label: &'a str,
    name: &'a str,
    uses: &'a str,
    with: &'a StrMap,
    /// The step's host with the action's `inputs`.
    host: &'a RunHost,
    timeout: Option<Duration>,
}

impl<B: ContainerBackend> JobRunner<B> {
    /// `uses: docker://image`: the image run as the step, `with.args`/`entrypoint` given
    /// to it and every other `with:` key as an `INPUT_` variable.
    async fn image_step(
        &mut self,
        call: &DockerAction<'_>,
        image: &str,
        env: &EnvMap,
        files: &StepFiles,
        action_id: &str,
    ) -> Result<StepResult, EngineError> {
        let DockerAction {
            label,
            uses,
            with,
            host,
            timeout,
            ..
        } = *call;
        let args = match with.get("args") {
            Some(a) => words(&env::eval_text(&a.value, host).map_err(EngineError::Expression)?),
            None => Vec::new(),
        };
        let entrypoint = with
            .get("entrypoint")
            .map(|e| env::eval_text(&e.value, host))
            .transpose()
            .map_err(EngineError::Expression)?;
        actions::ensure_image(&self.cx, image, None)
            .await
            .map_err(|e| EngineError::Action {
                uses: uses.into(),
                message: e.to_string(),
            })?;
        let mut penv = self.process_env(env, files, action_id);
        penv.retain(|(k, _)| k != "PATH");
        for (k, v) in with.iter() {
            if k.value != "args" && k.value != "entrypoint" {
                penv.push((
                    actions::input_var(&k.value),
                    env::eval_text(&v.value, host).map_err(EngineError::Expression)?,
                ));
            }
        }
        self.container_step(label, image.to_string(), entrypoint, args, penv, timeout)
            .await
    }

    /// Runs a container action: its image (pulled, or built from its Dockerfile), its
    /// `pre-entrypoint`, then its entrypoint; `post-entrypoint` is queued as a post step.
    async fn docker_action(
        &mut self,
        call: &DockerAction<'_>,
        la: LoadedAction,
        d: &crate::model::DockerRuns,
        inputs: Vec<(String, String)>,
        mut penv: Vec<(String, String)>,
    ) -> Result<StepResult, EngineError> {
        let DockerAction {
            label,
            name,
            uses,
            with,
            timeout,
            ..
        } = *call;
        let image = d
            .image
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default();
        let (out_tx, out_rx) = mpsc::unbounded_channel::<Chunk>();
        let build_log = output::spawn(self.output_cx(label), out_rx);
        let image = match image.strip_prefix("docker://") {
            Some(img) => {
                let r = actions::ensure_image(&self.cx, img, None).await;
                drop(out_tx);
                let _ = build_log.await;
                r.map_err(|e| EngineError::Action {
                    uses: uses.into(),
                    message: format!("{}: {e}", la.file),
                })?;
                img.to_string()
            }
            None => {
                let r = actions::dockerfile_image(&self.cx, &la, &image, out_tx).await;
                let _ = build_log.await;
                r?
            }
        };
        let args = match with.get("args") {
            Some(a) => {
                words(&env::eval_text(&a.value, call.host).map_err(EngineError::Expression)?)
            }
            None => d
                .args
                .iter()
                .map(|a| env::eval_text(&a.value, call.host))
                .collect::<Result<_, _>>()
                .map_err(EngineError::Expression)?,
        };
        let entrypoint = match with.get("entrypoint") {
            Some(e) => Some(env::eval_text(&e.value, call.host).map_err(EngineError::Expression)?),
            None => d.entrypoint.as_ref().map(|e| e.value.clone()),
        };
        let mut aenv = EnvMap::new();
        env::apply(&mut aenv, &d.env, call.host).map_err(EngineError::Expression)?;
        penv.extend(aenv.clone());
        penv.retain(|(k, _)| k != "PATH");
        if let Some(pre) = &d.pre_entrypoint {
            let r = self
                .container_step(
                    call.label,
                    image.clone(),
                    Some(pre.value.clone()),
                    Vec::new(),
                    penv.clone(),
                    timeout,
                )
                .await?;
            if r.outcome != Conclusion::Success {
                return Ok(r);
            }
        }
        let r = self
            .container_step(
                label,
                image.clone(),
                entrypoint,
                args,
                penv.clone(),
                timeout,
            )
            .await?;
        if d.post_entrypoint.is_some() {
            self.posts.push(Post {
                label: format!("post {label}"),
                name: format!("Post {name}"),
                action: la.clone(),
                inputs,
                state: Vec::new(),
                env: penv.into_iter().collect(),
                main_failed: r.outcome != Conclusion::Success,
            });
            if let Some(p) = self.posts.last_mut() {
                p.action.uses = image;
            }
        }
        Ok(r)
    }

    /// Runs a composite action's steps in a scope of their own; its outputs from them.
    async fn composite_action(
        &mut self,
        label: &str,
        uses: &str,
        la: &LoadedAction,
        steps: &[Step],
        inputs_ctx: Object,
        env: EnvMap,
    ) -> Result<StepResult, EngineError> {
        let mut inner = Scope {
            steps: Object::new(),
            inputs: Some(Value::object(inputs_ctx)),
            action: Some(la.clone()),
            prefix: format!("{label}."),
            failed: false,
            base_env: Some(env),
        };
        Box::pin(self.run_scope(steps, &mut inner)).await;
        let ohost = self.step_host(&inner, &self.env);
        let mut outputs = BTreeMap::new();
        for o in &la.action.outputs {
            if let Some(v) = &o.value {
                outputs.insert(
                    o.name.value.clone(),
                    env::eval_text(&v.value, &ohost).unwrap_or_default(),
                );
            }
        }
        Ok(StepResult {
            outcome: if inner.failed {
                Conclusion::Failure
            } else if self.token.is_cancelled() {
                Conclusion::Cancelled
            } else {
                Conclusion::Success
            },
            outputs,
            reason: inner.failed.then(|| format!("a step of {uses} failed")),
        })
    }
}

/// Splits `with.args` into words as a shell would (quotes group).
fn words(s: &str) -> Vec<String> {
    let cmd = shell::command(Some(s), "");
    cmd.argv.into_iter().filter(|w| !w.is_empty()).collect()
}
