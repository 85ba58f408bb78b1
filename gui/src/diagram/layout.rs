//! The boxes of the diagram, placed from the view's topology: the producers stacked on the
//! left, the master in the middle with its slaves (and a retired master) under it, the
//! consumers stacked on the right, and the lanes between them. The bottom row holds the totals,
//! the network (its fault buttons and the messages it dropped), the slaves and the legend, so
//! no lane crosses a box.
//!
//! The master is whichever broker is master now, so after a failover the promoted replica takes
//! the middle and the retired broker moves down: the links are drawn to where the work goes.

use egui::{Pos2, Rect, pos2, vec2};
use mqlab_core::ids::Node;
use mqlab_core::view::{EnvelopeKind, Place, View};

use super::scene::{Slot, master};

/// The boxes of the diagram, in points.
#[derive(Debug, Clone)]
pub struct Layout {
    pub rect: Rect,
    /// Every node's box, producers first, then brokers, then consumers.
    boxes: Vec<(Node, Rect)>,
    master: Node,
    /// The group's processed messages, when it has several consumers (with one, the area is
    /// inside the consumer's box).
    done: Option<Rect>,
    /// The broker whose box shows the topic's queues, and how many there are.
    queues: Option<(Node, usize)>,
    /// Slaves and retired brokers holding retry or dead-letter copies (they get those areas).
    extra_areas: Vec<Node>,
    pub network: Rect,
    pub totals: Rect,
    pub legend: Rect,
}

/// `n` rectangles stacked top to bottom in `r`, `gap` apart.
fn stack(r: Rect, n: usize, gap: f32) -> Vec<Rect> {
    let n = n.max(1);
    let h = (r.height() - gap * (n - 1) as f32) / n as f32;
    (0..n)
        .map(|i| Rect::from_min_size(pos2(r.left(), r.top() + i as f32 * (h + gap)), vec2(r.width(), h)))
        .collect()
}

/// `n` rectangles side by side in `r`, `gap` apart.
fn row(r: Rect, n: usize, gap: f32) -> Vec<Rect> {
    let n = n.max(1);
    let w = (r.width() - gap * (n - 1) as f32) / n as f32;
    (0..n)
        .map(|i| Rect::from_min_size(pos2(r.left() + i as f32 * (w + gap), r.top()), vec2(w, r.height())))
        .collect()
}

/// Columns of queue chips in the master's box.
const QUEUE_COLUMNS: usize = 4;

impl Layout {
    pub fn new(rect: Rect, view: &View) -> Self {
        let at = |x0: f32, y0: f32, x1: f32, y1: f32| {
            Rect::from_min_max(rect.lerp_inside(vec2(x0, y0)), rect.lerp_inside(vec2(x1, y1)))
        };
        let t = &view.topology;
        let master = master(view);
        let mut boxes = Vec::new();
        let producers = stack(at(0.005, 0.02, 0.19, 0.64), t.producers.len(), 8.0);
        boxes.extend(t.producers.iter().copied().zip(producers));
        let others: Vec<Node> = t.brokers.iter().copied().filter(|b| *b != master).collect();
        boxes.push((master, at(0.33, 0.02, 0.67, 0.60)));
        boxes.extend(others.iter().copied().zip(row(at(0.36, 0.72, 0.64, 0.995), others.len(), 12.0)));
        let (consumers, done) = match t.consumers.len() {
            0 | 1 => (vec![at(0.81, 0.02, 0.995, 0.64)], None),
            n => (stack(at(0.81, 0.02, 0.995, 0.50), n, 6.0), Some(at(0.81, 0.52, 0.995, 0.64))),
        };
        boxes.extend(t.consumers.iter().copied().zip(consumers));
        let extra_areas = others
            .into_iter()
            .filter(|b| {
                view.messages
                    .iter()
                    .flat_map(|m| &m.places)
                    .any(|p| matches!(p, Place::RetryQueue(n) | Place::DeadLetterQueue(n) if n == b))
            })
            .collect();
        Self {
            rect,
            boxes,
            master,
            done,
            queues: t.queues.first().map(|q| (q.broker, t.queues.len())),
            extra_areas,
            network: at(0.205, 0.70, 0.35, 0.995),
            totals: at(0.005, 0.70, 0.195, 0.995),
            legend: at(0.67, 0.70, 0.995, 0.995),
        }
    }

    /// Every node's box.
    pub fn boxes(&self) -> &[(Node, Rect)] {
        &self.boxes
    }

    /// A node's box; a node the topology no longer has is a point at the diagram's centre.
    pub fn node(&self, node: Node) -> Rect {
        self.boxes
            .iter()
            .find(|(n, _)| *n == node)
            .map_or(Rect::from_center_size(self.rect.center(), vec2(0.0, 0.0)), |(_, r)| *r)
    }

    pub fn master(&self) -> Node {
        self.master
    }

    /// The group's processed messages' own box, when the group has several consumers.
    pub fn done_box(&self) -> Option<Rect> {
        self.done
    }

    /// The header height of a roomy node box: its name, state and fault buttons on two lines.
    fn full_header(&self) -> f32 {
        (self.rect.height() * 0.11).clamp(48.0, 110.0)
    }

    /// Whether a node's box is too short for a two-line header: its name and one fault menu
    /// then share a single line.
    pub fn compact(&self, node: Node) -> bool {
        // A broker's box is wide, so its body can be shorter than a client's.
        let rows = if node.has_log() { 2.0 } else { 3.0 };
        self.node(node).height() < self.full_header() * rows
    }

    /// The header height of a node's box.
    pub fn header(&self, node: Node) -> f32 {
        if self.compact(node) { 24.0 } else { self.full_header() }
    }

    /// The network's buttons (drop next, partition, heal), under its title and above the area
    /// where dropped messages are marked: two rows where the box is wide enough, else three.
    pub fn network_controls(&self) -> Rect {
        let net = self.network;
        let rows = if net.width() >= 130.0 { 2.0 } else { 3.0 };
        Rect::from_min_max(
            pos2(net.left() + 6.0, net.top() + 24.0),
            pos2(net.right() - 6.0, net.top() + 24.0 + rows * 21.0),
        )
    }

    /// A node's box below its header.
    fn body(&self, node: Node) -> Rect {
        let r = self.node(node);
        let h = self.header(node);
        Rect::from_min_max(pos2(r.left() + 6.0, r.top() + h), pos2(r.right() - 6.0, r.bottom() - 6.0))
    }

    /// Height of one row of queue chips.
    fn chip_height(&self) -> f32 {
        (self.rect.height() * 0.045).clamp(17.0, 30.0)
    }

    /// The queue chips, one per queue, at the top of the body of the broker that serves them.
    pub fn queue_chips(&self) -> Vec<(usize, Rect)> {
        let Some((broker, n)) = self.queues else { return Vec::new() };
        let body = self.body(broker);
        let rows = n.div_ceil(QUEUE_COLUMNS);
        let cols = n.min(QUEUE_COLUMNS);
        let h = self.chip_height();
        let strip = Rect::from_min_size(body.min, vec2(body.width(), h * rows as f32));
        stack(strip, rows, 2.0)
            .into_iter()
            .flat_map(|line| row(line, cols, 4.0))
            .take(n)
            .enumerate()
            .collect()
    }

    /// A broker's body below its queue chips.
    fn broker_body(&self, node: Node) -> Rect {
        let body = self.body(node);
        match self.queues {
            Some((broker, n)) if broker == node => {
                let rows = n.div_ceil(QUEUE_COLUMNS) as f32;
                Rect::from_min_max(
                    pos2(body.left(), body.top() + rows * (self.chip_height() + 2.0) + 2.0),
                    body.max,
                )
            }
            _ => body,
        }
    }

    /// The areas drawn in a node's box.
    pub fn slots(&self, node: Node) -> Vec<Slot> {
        match node {
            Node::Producer(_) => vec![Slot::ProducerMemory(node), Slot::Outbox(node), Slot::Failed(node)],
            Node::Broker(_) if node == self.master || self.extra_areas.contains(&node) => {
                vec![Slot::Cache(node), Slot::Disk(node), Slot::Retry(node), Slot::DeadLetter(node)]
            }
            Node::Broker(_) => vec![Slot::Cache(node), Slot::Disk(node)],
            Node::Consumer(_) if self.done.is_some() => vec![Slot::Processing(node)],
            Node::Consumer(_) => vec![Slot::Processing(node), Slot::Done],
        }
    }

    /// The area of a slot inside its node.
    pub fn area(&self, slot: Slot) -> Rect {
        let split = |r: Rect, from: f32, to: f32| {
            Rect::from_min_max(
                pos2(r.left(), r.top() + r.height() * from),
                pos2(r.right(), r.top() + r.height() * to),
            )
        };
        let split_x = |r: Rect, from: f32, to: f32| {
            Rect::from_min_max(
                pos2(r.left() + r.width() * from, r.top()),
                pos2(r.left() + r.width() * to, r.bottom()),
            )
        };
        let gap = |r: Rect| r.shrink2(vec2(0.0, 3.0));
        let side = |r: Rect| r.shrink2(vec2(3.0, 0.0));
        match slot {
            Slot::ProducerMemory(n) | Slot::Outbox(n) | Slot::Failed(n) => {
                let (from, to) = match slot {
                    Slot::ProducerMemory(_) => (0.0, 0.5),
                    Slot::Outbox(_) => (0.5, 0.75),
                    _ => (0.75, 1.0),
                };
                if self.compact(n) {
                    side(split_x(self.body(n), from, to))
                } else {
                    gap(split(self.body(n), from, to))
                }
            }
            Slot::Cache(n) | Slot::Disk(n) | Slot::Retry(n) | Slot::DeadLetter(n) if n == self.master => {
                let body = self.broker_body(n);
                match slot {
                    Slot::Cache(_) => gap(split(body, 0.0, 0.42)),
                    Slot::Disk(_) => gap(split(body, 0.42, 0.84)),
                    Slot::Retry(_) => side(gap(split_x(split(body, 0.84, 1.0), 0.0, 0.5))),
                    _ => side(gap(split_x(split(body, 0.84, 1.0), 0.5, 1.0))),
                }
            }
            Slot::Cache(n) | Slot::Disk(n) | Slot::Retry(n) | Slot::DeadLetter(n) => {
                // A slave's (or retired master's) areas side by side; retry and dead letters
                // only when it holds such copies.
                let body = self.broker_body(n);
                let extra = self.extra_areas.contains(&n);
                let (from, to) = match (slot, extra) {
                    (Slot::Cache(_), false) => (0.0, 0.5),
                    (Slot::Disk(_), false) => (0.5, 1.0),
                    (Slot::Cache(_), true) => (0.0, 0.35),
                    (Slot::Disk(_), true) => (0.35, 0.7),
                    (Slot::Retry(_), _) => (0.7, 0.85),
                    _ => (0.85, 1.0),
                };
                side(split_x(body, from, to))
            }
            Slot::Processing(n) if self.done.is_some() => self.body(n),
            Slot::Processing(n) => gap(split(self.body(n), 0.0, 0.3)),
            Slot::Done => match self.done {
                Some(done) => done.shrink(6.0),
                None => {
                    let consumer = self.boxes.iter().find(|(n, _)| n.is_consumer()).map(|(n, _)| *n);
                    consumer.map_or(Rect::NOTHING, |c| gap(split(self.body(c), 0.3, 1.0)))
                }
            },
            Slot::Lost => Rect::from_min_max(
                pos2(self.network.left() + 6.0, self.network_controls().bottom() + 4.0),
                pos2(self.network.right() - 6.0, self.network.bottom() - 6.0),
            ),
            Slot::Link(_) => Rect::NOTHING,
        }
    }

    /// The two ends of an envelope's lane, sender first. Requests, deliveries and replication
    /// travel on one lane of a link, the answers (responses, commits, acks) on the other.
    pub fn lane(&self, kind: EnvelopeKind, from: Node, to: Node) -> (Pos2, Pos2) {
        let forward =
            matches!(kind, EnvelopeKind::Request | EnvelopeKind::Delivery | EnvelopeKind::Replicate);
        let (a, b) = (self.node(from), self.node(to));
        let apart = (self.rect.height() * 0.028).clamp(5.0, 16.0).min(a.height().min(b.height()) * 0.2);
        let offset = if forward { -apart } else { apart };
        let side_by_side = a.right() < b.left() || b.right() < a.left();
        if side_by_side {
            let (left, right) = if a.center().x < b.center().x { (a, b) } else { (b, a) };
            let overlap = (left.top().max(right.top()) + 12.0, left.bottom().min(right.bottom()) - 12.0);
            let (y_left, y_right) = if overlap.0 <= overlap.1 {
                // Level lanes: at the smaller box's middle, kept within both boxes.
                let small = if left.height() < right.height() { left } else { right };
                let y = small.center().y.clamp(overlap.0, overlap.1);
                (y, y)
            } else {
                (left.center().y, right.center().y)
            };
            let on = |r: Rect, y: f32| {
                if r == left { pos2(r.right(), y + offset) } else { pos2(r.left(), y + offset) }
            };
            let (pa, pb) =
                if a == left { (on(a, y_left), on(b, y_right)) } else { (on(a, y_right), on(b, y_left)) };
            (pa, pb)
        } else {
            // One above the other (the master and its slaves): vertical lanes at the lower
            // box's middle.
            let (upper, lower) = if a.center().y < b.center().y { (a, b) } else { (b, a) };
            let x = lower.center().x.clamp(upper.left() + 20.0, upper.right() - 20.0) + offset;
            let on = |r: Rect| if r == upper { pos2(x, r.bottom()) } else { pos2(x, r.top()) };
            (on(a), on(b))
        }
    }
}
