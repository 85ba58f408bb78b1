//! The sequence diagram panel, driven through egui_kittest: opened from the View menu and with
//! F6, found by its accessible label, following the timeline, and selecting a message when one
//! of its arrows is clicked.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqlab_core::ids::MsgId;
use mqlab_core::lesson::Lang;
use mqlab_core::log::StorageKind;
use mqlab_core::session::SessionConfig;
use mqlab_gui::{GuiOptions, LabApp, fonts};

const CANVAS: &str = "Sequence diagram: lanes and arrows";

fn lab(script: &str, lang: Lang) -> Harness<'static, LabApp> {
    let options = GuiOptions {
        session: SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() },
        script: Some(script.to_owned()),
        lang,
        ..GuiOptions::default()
    };
    let app = LabApp::new(&options).expect("the lab starts");
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_max_steps(12)
        .with_step_dt(0.25)
        .with_context_setup(fonts::install)
        .build_ui_state(|ui, app: &mut LabApp| app.ui(ui), app)
}

fn click(h: &mut Harness<'static, LabApp>, label: &str) {
    h.get_by_label(label).click();
    h.run();
}

#[test]
fn the_view_menu_opens_the_panel_and_an_arrow_selects_its_message() {
    let mut h =
        lab("set broker.flush async; partition consumer; send 3; run 50; crash broker power", Lang::En);
    h.run();
    assert!(h.query_by_label(CANVAS).is_none(), "closed at first");
    click(&mut h, "View");
    // A menu entry's label ends with its key.
    click(&mut h, "Sequence diagram F6");
    assert!(h.state().prefs.show_sequence);
    h.get_by_label(CANVAS);
    let dropped = "delivery m2 broker→consumer: dropped: partitioned";
    h.get_by_label("request m1 producer→broker");
    click(&mut h, dropped);
    assert_eq!(h.state().selected, Some(MsgId(2)));
    h.get_by_label_contains("following m2");
}

#[test]
fn f6_toggles_the_panel_and_it_follows_back() {
    let mut h = lab("send 1; run", Lang::En);
    h.run();
    h.key_press(egui::Key::F6);
    h.run();
    h.get_by_label(CANVAS);
    h.get_by_label("commit  consumer→broker");
    // Back to before the commit was sent: its arrow is gone.
    click(&mut h, "← Back");
    while h.query_by_label("commit  consumer→broker").is_some() {
        click(&mut h, "← Back");
    }
    h.get_by_label("request m1 producer→broker");
    h.key_press(egui::Key::F6);
    h.run();
    assert!(h.query_by_label(CANVAS).is_none());
}

#[test]
fn the_panel_speaks_chinese() {
    let mut h = lab("partition consumer; send 1; run 20", Lang::Zh);
    h.run();
    h.key_press(egui::Key::F6);
    h.run();
    h.get_by_label("时序图：泳道与箭头");
    h.get_by_label("投递 m1 broker→consumer: 被丢弃：网络隔离");
}
