//! The panels around the diagram. Each reads the app's view and pushes [`Intent`]s; none of
//! them changes the world itself.
//!
//! [`Intent`]: crate::app::Intent

pub mod cards;
pub mod console;
pub mod help;
pub mod ledger;
pub mod lesson;
pub mod menu;
pub mod settings;
pub mod toolbar;

/// A window of the lab (help, cards): it opens centred under the toolbar and stays there, so it
/// never hides the menus, and it is never taller than the room left.
/// Presenter mode has its own place for each window: egui remembers where a window was in
/// points, and a place chosen at one zoom is off-centre at another.
pub(crate) fn window<'a>(
    name: &'static str,
    title: &'a str,
    presenter: bool,
    area: egui::Rect,
    size: egui::Vec2,
) -> egui::Window<'a> {
    let area = area.shrink(8.0);
    egui::Window::new(title)
        .id(egui::Id::unique((name, presenter)))
        .collapsible(false)
        .constrain_to(area)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(area.center_top())
        .default_size(size.min(area.size()))
        .max_height(area.height())
}
