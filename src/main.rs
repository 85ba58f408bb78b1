//! The `mqlab` binary: parses the command line and hands over to the terminal lab, the desktop
//! lab or a headless run. It owns no logic of its own; bad input ends here with one clear line
//! on stderr and exit code 2.
//!
//! Output that cannot be written is not a crash: a closed pipe (`mqlab lessons verify | head -1`)
//! ends quietly with exit code 141, as a program stopped by SIGPIPE; any other write error
//! (a full disk) is one line on stderr and exit code 1.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mqlab_core::command::{ECHO_CHARS, shown};
use mqlab_core::lesson::{self, Lang, Lesson};
use mqlab_core::log::StorageKind;
use mqlab_core::scenario::{MAX_SEED, Scenario};
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::settings::Settings;

mod output;
use output::Shown;

/// mqlab — a lab that shows, message by message, how a message queue loses messages and what
/// prevents it.
///
/// With no subcommand, opens the terminal lab (sandbox and lessons).
#[derive(Debug, Parser)]
#[command(name = "mqlab", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    world: WorldArgs,
    #[command(flatten)]
    front: FrontArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Open the terminal lab (the default).
    Tui {
        #[command(flatten)]
        front: FrontArgs,
    },
    /// Open the desktop lab (for classroom demos).
    Gui {
        #[command(flatten)]
        front: FrontArgs,
        /// Start in presenter mode (large text, for a projector).
        #[arg(long)]
        presenter: bool,
        /// Open the sequence diagram panel at start (F6 toggles it).
        #[arg(long)]
        sequence: bool,
        /// Render a few frames, save a PNG of the window here, and quit (for tests and docs).
        #[arg(long, value_name = "PNG")]
        screenshot: Option<PathBuf>,
        /// Commands to apply before the window opens (as in `exec`).
        #[arg(long, value_name = "CMDS")]
        script: Option<String>,
    },
    /// Run commands headless and print the ledger and trace (or --json, --diagram, --mermaid):
    /// mqlab exec 'send 3; crash broker power; run'
    Exec {
        /// One line of `;`-separated commands (never read as an option, even with a leading `-`).
        #[arg(allow_hyphen_values = true)]
        commands: String,
        #[command(flatten)]
        shown: Shown,
        /// Language of the trace and the diagram (the JSON keeps one vocabulary).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
    /// Run a scenario file (TOML: seed, settings, commands) headless; prints as `exec` does.
    Run {
        /// The scenario file.
        file: PathBuf,
        #[command(flatten)]
        shown: Shown,
        /// Language of the trace and the diagram (the JSON keeps one vocabulary).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
    /// List the scripted lessons, or verify that every claim they make holds.
    Lessons {
        #[command(subcommand)]
        action: LessonsCmd,
    },
}

#[derive(Debug, Subcommand)]
enum LessonsCmd {
    /// List the lessons shipped in the binary.
    List,
    /// Run every lesson (or one) headless and check every expectation.
    Verify {
        /// A lesson id, or the path of a lesson file (FILE.toml); all lessons when omitted.
        #[arg(value_name = "ID|FILE")]
        id: Option<String>,
    },
}

/// How the world is built: used by every subcommand that runs one.
#[derive(Debug, Args)]
struct WorldArgs {
    /// Seed of the deterministic simulator (0 to 2^63-1, as in scenario and lesson files).
    #[arg(long, global = true, default_value_t = 1, value_parser = clap::value_parser!(u64).range(..=MAX_SEED))]
    seed: u64,
    /// Storage backing of the broker's and replica's logs.
    #[arg(long, global = true, value_enum, default_value_t = StorageArg::Mmap)]
    storage: StorageArg,
    /// Keep the session in this directory: its journal (seed, settings, every applied input) and
    /// the broker's and replica's log files. Opening it again resumes the session: the world is
    /// replayed from the journal and the files are taken up by the real recovery, any
    /// difference reported. `exec` resumes it and appends its commands; `run` needs a new
    /// directory (or --fresh). One process at a time. Default: a fresh temporary directory.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Start over in --data-dir: remove the session's journal and log files there (only files
    /// mqlab wrote; it says which first).
    #[arg(long, global = true, requires = "data_dir")]
    fresh: bool,
}

/// Options of the interactive labs.
#[derive(Debug, Args, Clone)]
struct FrontArgs {
    /// Open this lesson at start: an id (see `mqlab lessons list`) or a lesson file (FILE.toml).
    #[arg(long, value_name = "ID|FILE")]
    lesson: Option<String>,
    /// Language of lessons and narration.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StorageArg {
    /// Real files mapped with mmap and synced with msync.
    Mmap,
    /// The same bytes in memory.
    Mem,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Zh,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
        }
    }
}

/// Why the binary stops without finishing.
#[derive(Debug)]
enum Failure {
    /// Bad input or a refusal: one line, exit code 2.
    Input(String),
    /// The output could not be written.
    Output(io::Error),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Input(message)
    }
}

/// Writes one line on stderr, control characters escaped; a stderr that cannot be written
/// (`2>/dev/full`) is left alone: the exit code still says what happened.
fn complain(message: &str) {
    let _ = writeln!(io::stderr(), "mqlab: {}", shown(message, usize::MAX));
}

/// Exit code of a program stopped by SIGPIPE (128 + 13): a reader that went away.
const CLOSED_PIPE: u8 = 141;

fn output_failed(e: &io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::from(CLOSED_PIPE);
    }
    complain(&format!("cannot write the output: {e}"));
    ExitCode::FAILURE
}

/// Writes to stdout, flushed, so a write error surfaces here and not in a panic.
fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).map_err(Failure::Output)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout, errors to stderr (exit code 2).
            return match e.print() {
                Ok(()) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
                Err(write) if e.use_stderr() => {
                    drop(write);
                    ExitCode::from(2)
                }
                Err(write) => output_failed(&write),
            };
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(Failure::Input(message)) => {
            complain(&message);
            ExitCode::from(2)
        }
        Err(Failure::Output(e)) => output_failed(&e),
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let storage = match cli.world.storage {
        StorageArg::Mmap => StorageKind::Mmap,
        StorageArg::Mem => StorageKind::Mem,
    };
    if let Some(dir) = cli.world.data_dir.as_deref().filter(|_| cli.world.fresh) {
        start_over(dir)?;
    }
    if let (Some(dir), Some(Cmd::Run { .. })) = (&cli.world.data_dir, &cli.command)
        && dir.join(mqlab_core::journal::JOURNAL).exists()
    {
        return Err(format!(
            "{}: holds a session already; `run` starts a new one from its scenario: add --fresh to start \
             over (removing it), or give another --data-dir",
            dir.display()
        )
        .into());
    }
    let config = |seed: u64, settings: Settings| SessionConfig {
        seed,
        storage,
        data_dir: cli.world.data_dir.clone(),
        settings,
    };
    match cli.command {
        None => tui(config(cli.world.seed, Settings::default()), &cli.front),
        Some(Cmd::Tui { front }) => {
            tui(config(cli.world.seed, Settings::default()), &merge(&cli.front, front))
        }
        Some(Cmd::Gui { front, presenter, sequence, screenshot, script }) => {
            let front = merge(&cli.front, front);
            let lesson = find_lesson(front.lesson.as_deref())?;
            if let Some(script) = &script {
                mqlab_core::command::parse_line(script).map_err(|e| e.to_string())?;
            }
            let options = mqlab_gui::GuiOptions {
                session: config(cli.world.seed, Settings::default()),
                lesson,
                lang: front.lang.into(),
                presenter,
                sequence,
                screenshot,
                script,
            };
            mqlab_gui::run(options)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Exec { commands, shown, lang }) => {
            let lang = lang.unwrap_or(cli.front.lang).into();
            let lines = [Line { text: commands, place: None }];
            headless(config(cli.world.seed, Settings::default()), &lines, &shown, lang)
        }
        Some(Cmd::Run { file, shown, lang }) => {
            let name = file.display().to_string();
            let text = mqlab_core::scenario::read_source(&file)?;
            let scenario = Scenario::parse(&text, &name).map_err(|e| e.to_string())?;
            let seed = scenario.seed.unwrap_or(cli.world.seed);
            let lines: Vec<Line> = scenario
                .commands
                .iter()
                .zip(&scenario.command_lines)
                .map(|(text, line)| Line { text: text.clone(), place: Some(format!("{name}:{line}")) })
                .collect();
            headless(config(seed, scenario.settings), &lines, &shown, lang.unwrap_or(cli.front.lang).into())
        }
        Some(Cmd::Lessons { action: LessonsCmd::List }) => {
            for lesson in lesson::builtin() {
                out(&format!("{:<24} {}  /  {}\n", lesson.id, lesson.title.en, lesson.title.zh))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Lessons { action: LessonsCmd::Verify { id } }) => verify_lessons(id.as_deref()),
    }
}

/// Front-end options may be given before or after the subcommand; the later ones win.
fn merge(outer: &FrontArgs, inner: FrontArgs) -> FrontArgs {
    FrontArgs { lesson: inner.lesson.or_else(|| outer.lesson.clone()), lang: inner.lang }
}

/// The lesson `--lesson` names (an id or a file), checked before any window opens.
fn find_lesson(arg: Option<&str>) -> Result<Option<Lesson>, String> {
    arg.map(lesson::find).transpose()
}

fn tui(session: SessionConfig, front: &FrontArgs) -> Result<ExitCode, Failure> {
    let lesson = find_lesson(front.lesson.as_deref())?;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return Err(Failure::Input(
            "the terminal lab needs a terminal, and stdin or stdout is not one; for a run without \
             one, use `mqlab exec 'send 3; run'` or `mqlab run FILE`"
                .into(),
        ));
    }
    let options = mqlab_tui::TuiOptions { session, lesson, lang: front.lang.into() };
    mqlab_tui::run(options).map_err(|e| format!("terminal: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// One line of commands and where it was written (a scenario file's `FILE:LINE`).
struct Line {
    text: String,
    place: Option<String>,
}

impl Line {
    /// How an error names this line: its place, and the line itself cut short.
    fn refused(&self, why: impl std::fmt::Display) -> String {
        let text = shown(&self.text, ECHO_CHARS);
        match &self.place {
            Some(place) => format!("{place}: `{text}`: {why}"),
            None => format!("`{text}`: {why}"),
        }
    }
}

/// Builds a world, applies every line, and prints what `shown` asks for (the trace and the
/// diagram in `lang`; the JSON keeps its one vocabulary). All lines are parsed before any runs,
/// so a bad line changes nothing.
fn headless(config: SessionConfig, lines: &[Line], shown: &Shown, lang: Lang) -> Result<ExitCode, Failure> {
    for line in lines {
        mqlab_core::command::parse_line(&line.text).map_err(|e| match &line.place {
            Some(_) => line.refused(e),
            None => e.to_string(),
        })?;
    }
    let mut session = Session::new(config).map_err(|e| e.to_string())?;
    for line in session.opened() {
        eprintln!("mqlab: {line}");
    }
    session.set_language(lang).map_err(|e| e.to_string())?;
    for line in lines {
        session.execute(&line.text).map_err(|e| line.refused(e))?;
    }
    out(&shown.render(&session, lang)?)?;
    Ok(ExitCode::SUCCESS)
}

/// `--fresh`: says what it removes from the data directory (only files mqlab wrote), then
/// removes them.
fn start_over(dir: &std::path::Path) -> Result<(), String> {
    let data = mqlab_core::journal::DataDir::open(dir)?;
    let files = data.owned_files();
    if files.is_empty() {
        return Ok(());
    }
    let names: Vec<String> =
        files.iter().map(|f| f.strip_prefix(dir).unwrap_or(f).display().to_string()).collect();
    eprintln!(
        "mqlab: --fresh: removing {} file(s) mqlab wrote in {}: {}",
        names.len(),
        dir.display(),
        names.join(", ")
    );
    data.clear()?;
    Ok(())
}

fn verify_lessons(arg: Option<&str>) -> Result<ExitCode, Failure> {
    let lessons = match arg {
        Some(arg) if lesson::is_file_arg(arg) => vec![lesson::load_file(std::path::Path::new(arg))?],
        Some(arg) => vec![lesson::find(arg)?],
        None => lesson::builtin(),
    };
    let mut failed = 0;
    for lesson in &lessons {
        let failures = lesson.verify();
        let checks: usize = lesson.steps.iter().map(|s| s.expect.len()).sum();
        if failures.is_empty() {
            out(&format!("ok    {:<24} {} steps, {} expectations\n", lesson.id, lesson.steps.len(), checks))?;
        } else {
            failed += 1;
            let mut text = format!("FAIL  {:<24}\n", lesson.id);
            for f in failures {
                text.push_str(&format!(
                    "      step {}: expected {}, found {}\n",
                    f.step, f.expectation, f.found
                ));
            }
            out(&text)?;
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
