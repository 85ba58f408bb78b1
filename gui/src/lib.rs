//! mqlab-gui: the desktop lab for classroom demos.

use mqlab_core::lesson::Lang;
use mqlab_core::session::SessionConfig;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct GuiOptions {
    pub session: SessionConfig,
    /// A lesson to open at start.
    pub lesson: Option<String>,
    pub lang: Lang,
    /// Start in presenter mode.
    pub presenter: bool,
    /// Save a PNG of the window after the first frames, then quit.
    pub screenshot: Option<std::path::PathBuf>,
    /// Commands applied before the window opens.
    pub script: Option<String>,
}

/// The application state; `ui` is callable without a window so tests can drive it.
#[derive(Debug, Default)]
pub struct LabApp;

impl LabApp {
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("mqlab — how a message queue loses messages, and what prevents it");
    }
}

impl eframe::App for LabApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| LabApp::ui(self, ui));
    }
}

/// Opens the window; returns an error line when there is no display.
pub fn run(_options: GuiOptions) -> Result<(), String> {
    let native = eframe::NativeOptions::default();
    eframe::run_native("mqlab", native, Box::new(|_cc| Ok(Box::new(LabApp))))
        .map_err(|e| format!("cannot open a window: {e}"))
}
