//! A step's output on its way out: chunks become lines, workflow commands (`::add-mask::`,
//! `::group::`, `::error file=,line=::`, `::stop-commands::`, `::set-output`...) are
//! carried out, and every line is masked before the reporter sees it. Lines are assembled
//! before masking, so a secret split across two chunks is still masked.

use super::report::{LogStream, Reporter, RunEvent};
use crate::backend::{Chunk, OutputRx, Stream};
use crate::mask::Masker;
use crate::protocol::commands::{AnnotationLevel, Command, CommandParser, Line};
use std::sync::{Arc, RwLock};

/// A line longer than this is emitted in pieces (progress bars without newlines).
const MAX_LINE: usize = 1 << 20;

/// What the step asked for through workflow commands.
#[derive(Debug, Default)]
pub struct CommandEffects {
    pub outputs: Vec<(String, String)>,
    pub path: Vec<String>,
    /// `::set-env::` values, only with `ACTIONS_ALLOW_UNSECURE_COMMANDS`.
    pub env: Vec<(String, String)>,
    pub state: Vec<(String, String)>,
    /// The last lines, masked, to quote when the step fails.
    pub tail: Vec<String>,
}

pub struct OutputCx {
    pub reporter: Arc<dyn Reporter>,
    pub masker: Arc<RwLock<Masker>>,
    pub job: String,
    pub step: String,
    /// Show `::debug::` lines (`ACTIONS_STEP_DEBUG`).
    pub debug: bool,
    /// `ACTIONS_ALLOW_UNSECURE_COMMANDS=true` in the step's env: `::set-env::` and
    /// `::add-path::` work, as on GitHub (disabled otherwise).
    pub unsecure_commands: bool,
}

struct Lines {
    cx: OutputCx,
    parser: CommandParser,
    bufs: [Vec<u8>; 2],
    echo: bool,
    effects: CommandEffects,
}

/// Consumes a step's output until the sender is dropped; returns what its commands did.
pub fn spawn(cx: OutputCx, mut rx: OutputRx) -> tokio::task::JoinHandle<CommandEffects> {
    tokio::spawn(async move {
        let mut l = Lines {
            cx,
            parser: CommandParser::default(),
            bufs: [Vec::new(), Vec::new()],
            echo: false,
            effects: CommandEffects::default(),
        };
        while let Some(chunk) = rx.recv().await {
            l.feed(chunk);
        }
        l.finish();
        l.effects
    })
}

impl Lines {
    fn feed(&mut self, chunk: Chunk) {
        let i = usize::from(chunk.stream == Stream::Stderr);
        self.bufs[i].extend_from_slice(&chunk.bytes);
        while let Some(pos) = self.bufs[i].iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.bufs[i].drain(..=pos).collect();
            self.line(chunk.stream, &line[..line.len() - 1]);
        }
        if self.bufs[i].len() > MAX_LINE {
            let line = std::mem::take(&mut self.bufs[i]);
            self.line(chunk.stream, &line);
        }
    }

    fn finish(&mut self) {
        for (i, stream) in [(0, Stream::Stdout), (1, Stream::Stderr)] {
            if !self.bufs[i].is_empty() {
                let line = std::mem::take(&mut self.bufs[i]);
                self.line(stream, &line);
            }
        }
    }

    fn mask(&self, s: &str) -> String {
        match self.cx.masker.read() {
            Ok(m) => m.mask(s),
            Err(_) => s.to_string(),
        }
    }

    fn emit(&mut self, stream: LogStream, text: &str) {
        let line = self.mask(text);
        if self.effects.tail.len() >= 20 {
            self.effects.tail.remove(0);
        }
        self.effects.tail.push(line.clone());
        self.cx.reporter.report(RunEvent::Log {
            job: self.cx.job.clone(),
            step: Some(self.cx.step.clone()),
            stream,
            line,
        });
    }

    fn line(&mut self, stream: Stream, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_suffix('\r').unwrap_or(&text).to_string();
        let log_stream = match stream {
            Stream::Stdout => LogStream::Stdout,
            Stream::Stderr => LogStream::Stderr,
        };
        let cmd = match self.parser.line(&text) {
            Line::Text(t) => {
                let t = t.to_string();
                self.emit(log_stream, &t);
                return;
            }
            Line::Command(c) => c,
        };
        if self.echo {
            self.emit(log_stream, &text);
        }
        self.command(cmd);
    }

    fn command(&mut self, cmd: Command) {
        let (job, step) = (self.cx.job.clone(), self.cx.step.clone());
        match cmd {
            Command::AddMask(v) => {
                if let Ok(mut m) = self.cx.masker.write() {
                    m.add(&v);
                }
            }
            Command::Group(title) => {
                let title = Some(self.mask(&title));
                self.cx.reporter.report(RunEvent::Group { job, step, title });
            }
            Command::EndGroup => self.cx.reporter.report(RunEvent::Group {
                job,
                step,
                title: None,
            }),
            Command::Debug(m) => {
                if self.cx.debug {
                    self.emit(LogStream::System, &format!("##[debug]{m}"));
                }
            }
            Command::Annotation {
                level,
                file,
                line,
                title,
                message,
                ..
            } => {
                let level = match level {
                    AnnotationLevel::Error => "error",
                    AnnotationLevel::Warning => "warning",
                    AnnotationLevel::Notice => "notice",
                };
                let message = match title {
                    Some(t) => format!("{t}: {message}"),
                    None => message,
                };
                let message = self.mask(&message);
                let at = match (&file, line) {
                    (Some(f), Some(l)) => format!(" ({f}:{l})"),
                    (Some(f), None) => format!(" ({f})"),
                    _ => String::new(),
                };
                self.emit(LogStream::System, &format!("{level}{at}: {message}"));
                self.cx.reporter.report(RunEvent::Annotation {
                    job,
                    step,
                    level: level.into(),
                    message,
                    file,
                    line,
                });
            }
            Command::StopCommands(_) => {}
            Command::Echo(on) => self.echo = on,
            Command::SetOutput { name, value } => {
                self.emit(
                    LogStream::System,
                    "warning: the `set-output` command is deprecated; write to $GITHUB_OUTPUT",
                );
                self.effects.outputs.push((name, value));
            }
            Command::SetEnv { name, value } if self.cx.unsecure_commands => {
                self.effects.env.push((name, value))
            }
            Command::SetEnv { name, .. } => self.emit(
                LogStream::System,
                &format!(
                    "error: the `set-env` command is disabled (as on GitHub); write `{name}=...` to $GITHUB_ENV"
                ),
            ),
            Command::AddPath(p) if self.cx.unsecure_commands => self.effects.path.push(p),
            Command::AddPath(_) => self.emit(
                LogStream::System,
                "error: the `add-path` command is disabled (as on GitHub); write the directory to $GITHUB_PATH",
            ),
            Command::SaveState { name, value } => self.effects.state.push((name, value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Collect;

    async fn run(masker: Masker, chunks: Vec<(Stream, Vec<u8>)>) -> (Vec<String>, CommandEffects) {
        run_with(masker, chunks, false).await
    }

    async fn run_with(
        masker: Masker,
        chunks: Vec<(Stream, Vec<u8>)>,
        unsecure_commands: bool,
    ) -> (Vec<String>, CommandEffects) {
        let collect = Arc::new(Collect::default());
        let cx = OutputCx {
            reporter: collect.clone(),
            masker: Arc::new(RwLock::new(masker)),
            job: "j".into(),
            step: "1".into(),
            debug: false,
            unsecure_commands,
        };
        let (tx, rx) = crate::backend::output_channel();
        let h = spawn(cx, rx);
        for (stream, bytes) in chunks {
            tx.send(Chunk { stream, bytes }).await.unwrap();
        }
        drop(tx);
        let effects = h.await.unwrap();
        (collect.lines("j"), effects)
    }

    #[tokio::test]
    async fn a_secret_split_across_chunks_is_masked_at_every_split() {
        let secret = "s3cr3t-Value";
        let mut m = Masker::default();
        m.add(secret);
        let text = format!("before {secret} after\nsecond {secret}\n");
        for stream in [Stream::Stdout, Stream::Stderr] {
            for a in 0..text.len() {
                for b in a..text.len() {
                    let bytes = text.as_bytes();
                    let chunks = vec![
                        (stream, bytes[..a].to_vec()),
                        (stream, bytes[a..b].to_vec()),
                        (stream, bytes[b..].to_vec()),
                    ];
                    let (lines, _) = run(m.clone(), chunks).await;
                    assert_eq!(
                        lines,
                        vec!["before *** after", "second ***"],
                        "split {a}/{b}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn add_mask_applies_to_later_lines_and_commands_do_their_work() {
        let text = "::add-mask::late-secret\nvalue late-secret\n::set-output name=o::v\n::add-path::/opt/x\nlast line without newline";
        let (lines, fx) = run(
            Masker::default(),
            vec![(Stream::Stdout, text.as_bytes().to_vec())],
        )
        .await;
        assert!(lines.contains(&"value ***".to_string()), "{lines:?}");
        assert!(
            lines.contains(&"last line without newline".to_string()),
            "{lines:?}"
        );
        assert_eq!(fx.outputs, vec![("o".to_string(), "v".to_string())]);
        // GitHub disables `add-path` unless ACTIONS_ALLOW_UNSECURE_COMMANDS is true.
        assert!(fx.path.is_empty(), "{:?}", fx.path);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("`add-path` command is disabled")),
            "{lines:?}"
        );
    }

    #[tokio::test]
    async fn unsecure_commands_work_when_the_step_allows_them() {
        let text = "::set-env name=COLOR::blue\n::add-path::/opt/x\n";
        let (lines, fx) = run_with(
            Masker::default(),
            vec![(Stream::Stdout, text.as_bytes().to_vec())],
            true,
        )
        .await;
        assert_eq!(fx.env, vec![("COLOR".to_string(), "blue".to_string())]);
        assert_eq!(fx.path, vec!["/opt/x".to_string()]);
        assert!(!lines.iter().any(|l| l.contains("disabled")), "{lines:?}");
    }

    #[tokio::test]
    async fn invalid_utf8_becomes_a_replacement_character_and_streams_stay_apart() {
        let chunks = vec![
            (Stream::Stdout, b"out \xff par".to_vec()),
            (Stream::Stderr, b"err line\n".to_vec()),
            (Stream::Stdout, b"t\n".to_vec()),
        ];
        let (lines, _) = run(Masker::default(), chunks).await;
        assert_eq!(
            lines,
            vec!["err line".to_string(), "out \u{fffd} part".to_string()]
        );
    }
}
