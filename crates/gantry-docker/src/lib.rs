//! The Docker implementation of [`ContainerBackend`], through bollard against the local
//! engine (`DOCKER_HOST` honoured, the unix socket by default). The only module that names
//! bollard.

mod convert;

use bollard::query_parameters as q;
use bollard::Docker;
use futures_util::StreamExt;
use gantry_engine::backend::*;
use std::collections::HashMap;

pub struct DockerBackend {
    docker: Docker,
    endpoint: String,
}

impl DockerBackend {
    /// Connects and pings, so that an engine that is not running is reported at once.
    pub async fn connect() -> Result<DockerBackend, BackendError> {
        let endpoint =
            std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
        let unreachable = |e: bollard::errors::Error| BackendError::Unreachable {
            endpoint: endpoint.clone(),
            message: e.to_string(),
        };
        let docker = Docker::connect_with_defaults().map_err(unreachable)?;
        docker.ping().await.map_err(unreachable)?;
        Ok(DockerBackend { docker, endpoint })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

fn label_filter(label: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![label.to_string()])])
}

/// A 404 from the engine means the object is already gone, which is what removal wants.
fn gone_is_ok(r: Result<(), bollard::errors::Error>) -> Result<(), bollard::errors::Error> {
    match r {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        other => other,
    }
}

async fn forward(
    mut output: impl futures_util::Stream<Item = Result<bollard::container::LogOutput, bollard::errors::Error>>
        + Unpin,
    out: &OutputTx,
) -> Result<(), bollard::errors::Error> {
    use bollard::container::LogOutput;
    while let Some(item) = output.next().await {
        let (stream, bytes) = match item? {
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                (Stream::Stdout, message)
            }
            LogOutput::StdErr { message } => (Stream::Stderr, message),
            LogOutput::StdIn { .. } => continue,
        };
        // Waits for room: a slow reader holds the stream back (the channel is bounded).
        let _ = out
            .send(Chunk {
                stream,
                bytes: bytes.to_vec(),
            })
            .await;
    }
    Ok(())
}

impl ContainerBackend for DockerBackend {
    async fn ping(&self) -> Result<(), BackendError> {
        self.docker
            .ping()
            .await
            .map(drop)
            .map_err(|e| BackendError::Unreachable {
                endpoint: self.endpoint.clone(),
                message: e.to_string(),
            })
    }

    async fn image_present(&self, image: &str) -> Result<bool, BackendError> {
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(BackendError::api("inspect image", image, e)),
        }
    }

    async fn pull_image(
        &self,
        image: &str,
        auth: Option<RegistryAuth>,
    ) -> Result<(), BackendError> {
        let (from, tag) = convert::split_image(image);
        let opts = q::CreateImageOptions {
            from_image: Some(from),
            tag: Some(tag),
            ..Default::default()
        };
        let creds = auth.map(|a| bollard::auth::DockerCredentials {
            username: Some(a.username),
            password: Some(a.password),
            ..Default::default()
        });
        let mut s = self.docker.create_image(Some(opts), None, creds);
        while let Some(item) = s.next().await {
            item.map_err(|e| BackendError::ImageUnavailable {
                image: image.to_string(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    async fn build_image(&self, spec: BuildSpec, out: OutputTx) -> Result<(), BackendError> {
        // The API takes the build's memory as a 32-bit number here: at most 2 GiB.
        let memory = spec
            .confinement
            .memory
            .map(|m| m.clamp(0, i64::from(i32::MAX)) as i32);
        let period = 100_000;
        let opts = q::BuildImageOptions {
            dockerfile: spec.dockerfile.clone(),
            t: Some(spec.tag.clone()),
            rm: true,
            forcerm: true,
            labels: Some(spec.labels.iter().cloned().collect()),
            memory,
            memswap: memory,
            cpuperiod: spec.confinement.nano_cpus.map(|_| period),
            cpuquota: spec
                .confinement
                .nano_cpus
                .map(|n| (n / 10_000).clamp(1_000, i64::from(i32::MAX)) as i32),
            networkmode: spec.no_network.then(|| "none".to_string()),
            ..Default::default()
        };
        let body = bollard::body_full(bytes::Bytes::from(spec.context_tar));
        let mut s = self.docker.build_image(opts, None, Some(body));
        let mut last = String::new();
        while let Some(item) = s.next().await {
            let info = item.map_err(|e| BackendError::Build {
                tag: spec.tag.clone(),
                message: e.to_string(),
            })?;
            if let Some(text) = info.stream {
                last = text.trim_end().to_string();
                let _ = out
                    .send(Chunk {
                        stream: Stream::Stdout,
                        bytes: text.into_bytes(),
                    })
                    .await;
            }
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(BackendError::Build {
                    tag: spec.tag,
                    message: if last.is_empty() {
                        err
                    } else {
                        format!("{err} (after: {last})")
                    },
                });
            }
        }
        Ok(())
    }

    async fn image_env(&self, image: &str) -> Result<Vec<String>, BackendError> {
        let i = self
            .docker
            .inspect_image(image)
            .await
            .map_err(|e| BackendError::api("inspect image", image, e))?;
        Ok(i.config.and_then(|c| c.env).unwrap_or_default())
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String, BackendError> {
        let mut options = std::collections::HashMap::new();
        if !spec.icc {
            options.insert(
                "com.docker.network.bridge.enable_icc".to_string(),
                "false".to_string(),
            );
        }
        if let Some(b) = &spec.bridge {
            options.insert("com.docker.network.bridge.name".to_string(), b.clone());
        }
        let req = bollard::models::NetworkCreateRequest {
            name: spec.name.clone(),
            driver: Some("bridge".into()),
            internal: Some(spec.internal),
            options: Some(options),
            labels: Some(spec.labels.iter().cloned().collect()),
            ..Default::default()
        };
        let r = self
            .docker
            .create_network(req)
            .await
            .map_err(|e| BackendError::api("create network", &spec.name, e))?;
        Ok(r.id)
    }

    async fn ensure_network(&self, spec: &NetworkSpec) -> Result<String, BackendError> {
        // Two gantry processes may race to create it: whoever loses finds the winner's.
        for _ in 0..3 {
            let found = self
                .docker
                .inspect_network(&spec.name, None::<q::InspectNetworkOptions>)
                .await;
            match found {
                Ok(n) => return Ok(n.id.unwrap_or_else(|| spec.name.clone())),
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => return Err(BackendError::api("inspect network", &spec.name, e)),
            }
            if let Ok(id) = self.create_network(spec).await {
                return Ok(id);
            }
        }
        Err(BackendError::api(
            "create network",
            &spec.name,
            "it could neither be found nor created",
        ))
    }

    async fn network_gateway(&self, name: &str) -> Result<Option<std::net::IpAddr>, BackendError> {
        let n = self
            .docker
            .inspect_network(name, None::<q::InspectNetworkOptions>)
            .await
            .map_err(|e| BackendError::api("inspect network", name, e))?;
        let configs = n.ipam.and_then(|i| i.config).unwrap_or_default();
        Ok(configs
            .iter()
            .filter_map(|c| c.gateway.as_deref())
            .find_map(|g| g.parse::<std::net::IpAddr>().ok().filter(|ip| ip.is_ipv4())))
    }

    async fn remove_network(&self, id: &str) -> Result<(), BackendError> {
        gone_is_ok(self.docker.remove_network(id).await)
            .map_err(|e| BackendError::api("remove network", id, e))
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        let body = convert::create_body(spec);
        let opts = q::CreateContainerOptions {
            name: Some(spec.name.clone()),
            ..Default::default()
        };
        match self.docker.create_container(Some(opts), body).await {
            Ok(r) => Ok(r.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message,
            }) => Err(BackendError::ImageUnavailable {
                image: spec.image.clone(),
                message,
            }),
            Err(e) => Err(BackendError::api("create container", &spec.name, e)),
        }
    }

    async fn start_container(&self, id: &str) -> Result<(), BackendError> {
        self.docker
            .start_container(id, None::<q::StartContainerOptions>)
            .await
            .map_err(|e| BackendError::api("start container", id, e))
    }

    async fn run_container(&self, id: &str, out: OutputTx) -> Result<i64, BackendError> {
        // The daemon subscribes to the container's output before it answers the attach, and
        // the container starts only after that answer: the stream alone sees every line.
        // `logs: true` would also replay the log file, and a line written while the replay
        // runs arrives twice (seen with a container that printed and exited at once).
        let opts = q::AttachContainerOptions {
            stdout: true,
            stderr: true,
            stream: true,
            logs: false,
            ..Default::default()
        };
        let attached = self
            .docker
            .attach_container(id, Some(opts))
            .await
            .map_err(|e| BackendError::api("attach to container", id, e))?;
        self.start_container(id).await?;
        forward(attached.output, &out)
            .await
            .map_err(|e| BackendError::api("read output of container", id, e))?;
        let mut wait = self
            .docker
            .wait_container(id, None::<q::WaitContainerOptions>);
        match wait.next().await {
            Some(Ok(r)) => Ok(r.status_code),
            // bollard reports a non-zero exit as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(BackendError::api("wait for container", id, e)),
            None => Err(BackendError::api("wait for container", id, "no answer")),
        }
    }

    async fn exec(&self, id: &str, spec: &ExecSpec, out: OutputTx) -> Result<i64, BackendError> {
        let env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let created = self
            .docker
            .create_exec(
                id,
                bollard::exec::CreateExecOptions::<String> {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    env: Some(env),
                    cmd: Some(spec.cmd.clone()),
                    user: spec.user.clone(),
                    working_dir: spec.working_dir.clone(),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| BackendError::api("exec in container", id, e))?;
        let started = self
            .docker
            .start_exec(&created.id, None)
            .await
            .map_err(|e| BackendError::api("exec in container", id, e))?;
        if let bollard::exec::StartExecResults::Attached { output, .. } = started {
            forward(output, &out)
                .await
                .map_err(|e| BackendError::api("read exec output in container", id, e))?;
        }
        let inspected = self
            .docker
            .inspect_exec(&created.id)
            .await
            .map_err(|e| BackendError::api("inspect exec in container", id, e))?;
        Ok(inspected.exit_code.unwrap_or(-1))
    }

    async fn upload(&self, id: &str, dest: &str, tar: Vec<u8>) -> Result<(), BackendError> {
        let opts = q::UploadToContainerOptions {
            path: dest.to_string(),
            ..Default::default()
        };
        self.docker
            .upload_to_container(id, Some(opts), bollard::body_full(bytes::Bytes::from(tar)))
            .await
            .map_err(|e| BackendError::api("copy files into container", id, e))
    }

    async fn health(&self, id: &str) -> Result<Health, BackendError> {
        use bollard::models::HealthStatusEnum as H;
        let i = self
            .docker
            .inspect_container(id, None::<q::InspectContainerOptions>)
            .await
            .map_err(|e| BackendError::api("inspect container", id, e))?;
        let state = i.state.unwrap_or_default();
        if state.running != Some(true) {
            return Ok(Health::Exited);
        }
        Ok(match state.health.and_then(|h| h.status) {
            Some(H::HEALTHY) => Health::Healthy,
            Some(H::UNHEALTHY) => Health::Unhealthy,
            Some(H::STARTING) => Health::Starting,
            _ => Health::None,
        })
    }

    async fn pids(&self, id: &str) -> Result<(u64, Option<u64>), BackendError> {
        let opts = q::StatsOptions {
            stream: false,
            one_shot: true,
        };
        let mut stats = self.docker.stats(id, Some(opts));
        let s = stats
            .next()
            .await
            .ok_or_else(|| BackendError::api("container stats", id, "no answer"))?
            .map_err(|e| BackendError::api("container stats", id, e))?;
        let p = s.pids_stats.unwrap_or_default();
        Ok((p.current.unwrap_or(0), p.limit))
    }

    async fn kill_container(&self, id: &str, signal: &str) -> Result<(), BackendError> {
        let opts = q::KillContainerOptions {
            signal: signal.to_string(),
        };
        match self.docker.kill_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            // Not running (409) or gone (404): nothing left to kill.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404 | 409,
                ..
            }) => Ok(()),
            Err(e) => Err(BackendError::api("kill container", id, e)),
        }
    }

    async fn remove_container(&self, id: &str) -> Result<(), BackendError> {
        let opts = q::RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        gone_is_ok(self.docker.remove_container(id, Some(opts)).await)
            .map_err(|e| BackendError::api("remove container", id, e))
    }

    async fn labelled(&self, label: &str) -> Result<Leftovers, BackendError> {
        let containers = self
            .docker
            .list_containers(Some(q::ListContainersOptions {
                all: true,
                filters: Some(label_filter(label)),
                ..Default::default()
            }))
            .await
            .map_err(|e| BackendError::api("list containers labelled", label, e))?;
        let networks = self
            .docker
            .list_networks(Some(q::ListNetworksOptions {
                filters: Some(label_filter(label)),
            }))
            .await
            .map_err(|e| BackendError::api("list networks labelled", label, e))?;
        let volumes = self
            .docker
            .list_volumes(Some(q::ListVolumesOptions {
                filters: Some(label_filter(label)),
            }))
            .await
            .map_err(|e| BackendError::api("list volumes labelled", label, e))?;
        let res = |id: Option<String>, labels: Option<HashMap<String, String>>| {
            id.map(|id| Resource {
                id,
                labels: labels.unwrap_or_default(),
            })
        };
        Ok(Leftovers {
            containers: containers
                .into_iter()
                .filter_map(|c| res(c.id, c.labels))
                .collect(),
            networks: networks
                .into_iter()
                .filter_map(|n| res(n.id, n.labels))
                .collect(),
            volumes: volumes
                .volumes
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| res(Some(v.name), Some(v.labels)))
                .collect(),
        })
    }

    async fn create_volume(
        &self,
        name: &str,
        labels: &[(String, String)],
        in_memory: bool,
    ) -> Result<(), BackendError> {
        let driver_opts = in_memory.then(|| {
            HashMap::from([
                ("type".to_string(), "tmpfs".to_string()),
                ("device".to_string(), "tmpfs".to_string()),
                ("o".to_string(), "size=4m,mode=0700".to_string()),
            ])
        });
        let req = bollard::models::VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(labels.iter().cloned().collect()),
            driver: Some("local".into()),
            driver_opts,
            ..Default::default()
        };
        self.docker
            .create_volume(req)
            .await
            .map(|_| ())
            .map_err(|e| BackendError::api("create volume", name, e))
    }

    async fn remove_volume(&self, name: &str) -> Result<(), BackendError> {
        gone_is_ok(
            self.docker
                .remove_volume(name, None::<q::RemoveVolumeOptions>)
                .await,
        )
        .map_err(|e| BackendError::api("remove volume", name, e))
    }
}
