//! Smooth movement between simulator steps.
//!
//! The diagram is a pure function of a [`View`](mqlab_core::view::View): where every token
//! should be now. The animator remembers where each token was drawn when the view changed and
//! moves it to its new place over a short time, so a step reads as motion: a message travels
//! along a link, a copy slides from the page cache to the disk, a destroyed copy turns into a red
//! cross where it was. It only asks for repaints while something moves, so an idle window costs
//! nothing. Positions are stored relative to the diagram's rectangle, so resizing never jumps.

use std::collections::BTreeMap;

use egui::{Color32, Pos2, Rect, Vec2};
use mqlab_core::ids::Node;

use super::{Slot, TokenKey};

/// Where a token was drawn, relative to the diagram rect (0..1 on both axes).
#[derive(Debug, Clone, Copy)]
struct Drawn {
    at: Vec2,
    color: Color32,
    radius: f32,
}

/// A token that left the scene (a copy deleted by a flush cycle, a delivery that arrived): it
/// fades out where it was.
#[derive(Debug, Clone, Copy)]
struct Leaving {
    at: Vec2,
    color: Color32,
    radius: f32,
}

/// The animation state.
#[derive(Debug, Default)]
pub struct Animator {
    /// Positions at the start of the current transition.
    from: BTreeMap<TokenKey, Drawn>,
    /// Positions drawn in the last frame: the start of the next transition.
    last: BTreeMap<TokenKey, Drawn>,
    leaving: Vec<Leaving>,
    start: f64,
    duration: f64,
    /// When each node was seen going down, for the crash flash.
    flashes: BTreeMap<Node, f64>,
}

/// How long a crash flash lasts, in seconds.
pub const FLASH_SECONDS: f64 = 1.2;

/// One token to draw this frame.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    pub pos: Pos2,
    pub radius: f32,
    pub color: Color32,
}

impl Animator {
    /// Starts a transition: every token moves from where it is drawn now to its new place within
    /// `duration` seconds. `now` is egui's input time.
    pub fn begin(&mut self, now: f64, duration: f64) {
        let current = std::mem::take(&mut self.last);
        self.from = current;
        self.leaving.clear();
        self.start = now;
        self.duration = duration.max(0.0);
    }

    /// Jumps to the new view without motion (reset, rewind by the scrubber, a new lesson).
    pub fn cut(&mut self) {
        self.from.clear();
        self.last.clear();
        self.leaving.clear();
        self.duration = 0.0;
    }

    /// Marks a node as having just gone down: it flashes.
    pub fn flash(&mut self, node: Node, now: f64) {
        self.flashes.insert(node, now);
    }

    /// How strongly a node flashes now, 1 at the crash down to 0.
    pub fn flash_level(&self, node: Node, now: f64) -> f32 {
        self.flashes.get(&node).map_or(0.0, |t| {
            let age = now - t;
            if (0.0..FLASH_SECONDS).contains(&age) { (1.0 - age / FLASH_SECONDS) as f32 } else { 0.0 }
        })
    }

    /// Eased progress of the current transition, 0..=1.
    pub fn progress(&self, now: f64) -> f32 {
        if self.duration <= 0.0 {
            return 1.0;
        }
        let t = ((now - self.start) / self.duration).clamp(0.0, 1.0) as f32;
        // Ease in and out, so tokens start and stop gently.
        t * t * (3.0 - 2.0 * t)
    }

    /// Whether anything is still moving or flashing (the caller then asks for a repaint).
    pub fn busy(&self, now: f64) -> bool {
        let moving = self.duration > 0.0 && now < self.start + self.duration;
        let flashing = self.flashes.values().any(|t| now - t < FLASH_SECONDS);
        moving || flashing
    }

    /// Places this frame's tokens: each target is interpolated from where the token was at the
    /// start of the transition. A token new to the scene starts where another copy of the same
    /// message was (so a copy visibly comes from somewhere); tokens that left fade out.
    pub fn place(
        &mut self,
        rect: Rect,
        now: f64,
        targets: &[(TokenKey, Pos2, f32, Color32)],
    ) -> (Vec<Placed>, Vec<Placed>) {
        let rel = |p: Pos2| (p - rect.min) / rect.size().max(Vec2::splat(1.0));
        let abs = |v: Vec2| rect.min + v * rect.size();
        let t = self.progress(now);
        if self.leaving.is_empty() && t < 1.0 {
            let present: std::collections::BTreeSet<TokenKey> = targets.iter().map(|(k, ..)| *k).collect();
            self.leaving = self
                .from
                .iter()
                .filter(|(k, _)| !present.contains(k))
                .map(|(_, d)| Leaving { at: d.at, color: d.color, radius: d.radius })
                .collect();
        }
        let mut placed = Vec::with_capacity(targets.len());
        let mut drawn = BTreeMap::new();
        for &(key, target, radius, color) in targets {
            let goal = rel(target);
            let start = self.from.get(&key).copied().or_else(|| {
                let copies = (key.0, Slot::FIRST)..=(key.0, Slot::LAST);
                self.from.range(copies).map(|(_, d)| *d).next()
            });
            let (at, r) = match start {
                Some(s) if t < 1.0 => (s.at + (goal - s.at) * t, s.radius + (radius - s.radius) * t),
                _ => (goal, radius),
            };
            // Where it is drawn now is where the next transition starts, even mid-way.
            drawn.insert(key, Drawn { at, color, radius: r });
            placed.push(Placed { pos: abs(at), radius: r, color });
        }
        self.last = drawn;
        let fade = 1.0 - t;
        let leaving = if t < 1.0 {
            self.leaving
                .iter()
                .map(|l| Placed { pos: abs(l.at), radius: l.radius, color: l.color.gamma_multiply(fade) })
                .collect()
        } else {
            Vec::new()
        };
        (placed, leaving)
    }
}
