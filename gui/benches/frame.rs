//! Time to build and tessellate one frame of the desktop lab with 200 messages on screen while
//! their tokens animate, and with 4 producers, 4 consumers, 8 queues and 500 messages: everything the CPU does per frame before the GPU (or Mesa's software
//! renderer) rasterises it. The whole-frame figure on llvmpipe under Xvfb is measured with
//! `MQLAB_GUI_STATS=1` (see gui/benches/RESULTS.md).

use criterion::{Criterion, criterion_group, criterion_main};
use mqlab_core::log::StorageKind;
use mqlab_core::session::SessionConfig;
use mqlab_gui::{GuiOptions, LabApp, fonts};

fn lab(script: &str) -> LabApp {
    let options = GuiOptions {
        session: SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() },
        script: Some(script.to_owned()),
        ..GuiOptions::default()
    };
    LabApp::new(&options).expect("the lab starts")
}

fn input(time: f64) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0))),
        time: Some(time),
        ..Default::default()
    }
}

fn frame(c: &mut Criterion) {
    for (name, script) in [
        ("frame_200_messages_animating", "send 200; step 300"),
        (
            "frame_4p_4c_8q_500_messages_animating",
            "set cluster.producers 4; set cluster.consumers 4; set topic.queues 8; send 500; step 700",
        ),
        ("frame_empty_lab", "set net.latency_ms 5"),
    ] {
        let mut app = lab(script);
        let ctx = egui::Context::default();
        fonts::install(&ctx);
        // Warm up: fonts and glyph atlas, then one step so every token has somewhere to move.
        for i in 0..3 {
            let _ = ctx.run_ui(input(i as f64 * 0.016), |ui| app.ui(ui));
        }
        let mut time = 1.0;
        c.bench_function(name, |b| {
            b.iter(|| {
                // Restart the transition every frame so tokens are always mid-flight.
                app.anim.begin(time - 0.2, 10.0);
                time += 0.016;
                let out = ctx.run_ui(input(time), |ui| app.ui(ui));
                let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
                std::hint::black_box(prims.len())
            })
        });
    }
}

criterion_group!(benches, frame);
criterion_main!(benches);
