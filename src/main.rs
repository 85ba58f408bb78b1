//! The `mqlab` binary: parses the command line and hands over to the terminal lab, the desktop
//! lab or a headless run. It owns no logic of its own; bad input ends here with one clear line
//! on stderr and exit code 2.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mqlab_core::lesson::{self, Lang};
use mqlab_core::log::StorageKind;
use mqlab_core::scenario::Scenario;
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::settings::Settings;
use mqlab_core::text;

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
        /// Render a few frames, save a PNG of the window here, and quit (for tests and docs).
        #[arg(long, value_name = "PNG")]
        screenshot: Option<PathBuf>,
        /// Commands to apply before the window opens (as in `exec`).
        #[arg(long, value_name = "CMDS")]
        script: Option<String>,
    },
    /// Run commands headless and print the ledger: mqlab exec 'send 3; crash broker power; run'
    Exec {
        /// One line of `;`-separated commands.
        commands: String,
        /// Print one JSON object instead of the table and trace.
        #[arg(long)]
        json: bool,
        /// Language of the trace (the JSON keeps one vocabulary).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
    /// Run a scenario file (TOML: seed, settings, commands) headless.
    Run {
        /// The scenario file.
        file: PathBuf,
        /// Print one JSON object instead of the table and trace.
        #[arg(long)]
        json: bool,
        /// Language of the trace (the JSON keeps one vocabulary).
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
        /// A lesson id; all lessons when omitted.
        id: Option<String>,
    },
}

/// How the world is built: used by every subcommand that runs one.
#[derive(Debug, Args)]
struct WorldArgs {
    /// Seed of the deterministic simulator.
    #[arg(long, global = true, default_value_t = 1)]
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
    /// Open this lesson at start (see `mqlab lessons list`).
    #[arg(long, value_name = "ID")]
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("mqlab: {message}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, String> {
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
        ));
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
        Some(Cmd::Gui { front, presenter, screenshot, script }) => {
            let front = merge(&cli.front, front);
            check_lesson(front.lesson.as_deref())?;
            if let Some(script) = &script {
                mqlab_core::command::parse_line(script).map_err(|e| e.to_string())?;
            }
            let options = mqlab_gui::GuiOptions {
                session: config(cli.world.seed, Settings::default()),
                lesson: front.lesson,
                lang: front.lang.into(),
                presenter,
                screenshot,
                script,
            };
            mqlab_gui::run(options)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Exec { commands, json, lang }) => {
            let lang = lang.unwrap_or(cli.front.lang).into();
            headless(config(cli.world.seed, Settings::default()), std::slice::from_ref(&commands), json, lang)
        }
        Some(Cmd::Run { file, json, lang }) => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{name}: cannot read: {e}"))?;
            let scenario = Scenario::parse(&text, &name).map_err(|e| e.to_string())?;
            let seed = scenario.seed.unwrap_or(cli.world.seed);
            headless(
                config(seed, scenario.settings),
                &scenario.commands,
                json,
                lang.unwrap_or(cli.front.lang).into(),
            )
        }
        Some(Cmd::Lessons { action: LessonsCmd::List }) => {
            for lesson in lesson::builtin() {
                println!("{:<24} {}  /  {}", lesson.id, lesson.title.en, lesson.title.zh);
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

fn check_lesson(id: Option<&str>) -> Result<(), String> {
    let Some(id) = id else { return Ok(()) };
    let lessons = lesson::builtin();
    if lessons.iter().any(|l| l.id == id) {
        return Ok(());
    }
    let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    Err(format!("unknown lesson `{id}`; lessons are: {}", ids.join(", ")))
}

fn tui(session: SessionConfig, front: &FrontArgs) -> Result<ExitCode, String> {
    check_lesson(front.lesson.as_deref())?;
    let options = mqlab_tui::TuiOptions { session, lesson: front.lesson.clone(), lang: front.lang.into() };
    mqlab_tui::run(options).map_err(|e| format!("terminal: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Builds a world, applies every line, and prints the result (the trace in `lang`; the JSON
/// keeps its one vocabulary). All lines are parsed before any runs, so a bad line changes
/// nothing.
fn headless(config: SessionConfig, lines: &[String], json: bool, lang: Lang) -> Result<ExitCode, String> {
    for line in lines {
        mqlab_core::command::parse_line(line).map_err(|e| e.to_string())?;
    }
    let mut session = Session::new(config).map_err(|e| e.to_string())?;
    for line in session.opened() {
        eprintln!("mqlab: {line}");
    }
    session.set_language(lang).map_err(|e| e.to_string())?;
    for line in lines {
        session.execute(line).map_err(|e| format!("`{line}`: {e}"))?;
    }
    if json {
        let report = session.report();
        let out = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{out}");
    } else {
        print!("{}", text::render(&session));
    }
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

fn verify_lessons(id: Option<&str>) -> Result<ExitCode, String> {
    check_lesson(id)?;
    let mut failed = 0;
    for lesson in lesson::builtin().iter().filter(|l| id.is_none_or(|id| l.id == id)) {
        let failures = lesson.verify();
        let checks: usize = lesson.steps.iter().map(|s| s.expect.len()).sum();
        if failures.is_empty() {
            println!("ok    {:<24} {} steps, {} expectations", lesson.id, lesson.steps.len(), checks);
        } else {
            failed += 1;
            println!("FAIL  {:<24}", lesson.id);
            for f in failures {
                println!("      step {}: expected {}, found {}", f.step, f.expectation, f.found);
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
