//! Time to render one frame of the lab (target ≤ 2 ms) into an in-memory terminal of 120×40 (the
//! size the smoke test uses) and 80×24: the default world with 200 messages, and a crowded one
//! with 4 producers, 4 consumers, 8 queues and 500 messages. Figures go in `RESULTS.md`.

use criterion::{Criterion, criterion_group, criterion_main};
use mqlab_core::lesson::Lang;
use mqlab_tui::app::Ui;
use mqlab_tui::widgets::{self, theme::Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "../tests/support/mod.rs"]
mod support;

fn frame(c: &mut Criterion) {
    let mut ui = Ui::new(support::view(200), Lang::En, Theme { color: true });
    ui.selected = Some(mqlab_core::ids::MsgId(100));
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        c.bench_function(&format!("render one frame, 200 messages, {w}x{h}"), |b| {
            b.iter(|| {
                terminal.draw(|f| widgets::render(&ui, f)).expect("draw");
            })
        });
    }
    let mut ui = Ui::new(support::topology_view(4, 4, 8, 500), Lang::En, Theme { color: true });
    ui.selected = Some(mqlab_core::ids::MsgId(250));
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        c.bench_function(
            &format!("render one frame, 4 producers 4 consumers 8 queues 500 messages, {w}x{h}"),
            |b| {
                b.iter(|| {
                    terminal.draw(|f| widgets::render(&ui, f)).expect("draw");
                })
            },
        );
    }
}

criterion_group!(benches, frame);
criterion_main!(benches);
