//! Hand-built view models for screen tests and the frame benchmark: the screens can be checked
//! without running a world, and a frame can be timed with exactly the content asked for.

#![allow(dead_code)]

use mqlab_core::ids::{MsgId, Node, ProducerId};
use mqlab_core::settings::Settings;
use mqlab_core::view::{
    Cause, EnvelopeKind, EnvelopeView, Event, Fate, LinkKind, LinkView, LogView, MessageView, NodeNote,
    NodeView, Place, QueueView, SendStatus, TokenState, Topology, Totals, View,
};

fn node(node: Node, role: &str, log: Option<LogView>) -> NodeView {
    NodeView {
        node,
        up: true,
        partitioned: false,
        role: role.to_owned(),
        log,
        replicated_pos: None,
        committed_offset: (node == Node::CONSUMER).then_some(0),
        persisted_offset: (node == Node::CONSUMER).then_some(0),
        in_memory: 0,
        outbox_pending: 0,
        note: NodeNote::None,
    }
}

/// A message in one of a dozen typical situations, chosen by its number.
pub fn message(i: u64) -> MessageView {
    let (places, token, fate, cause, effects): (Vec<Place>, TokenState, Fate, Option<Cause>, u32) = match i
        % 6
    {
        0 => (vec![Place::Disk(Node::BROKER)], TokenState::Processed, Fate::Processed, None, 1),
        1 => (vec![Place::PageCache(Node::BROKER)], TokenState::PageCache, Fate::Pending, None, 0),
        2 => (vec![], TokenState::Lost, Fate::Lost, Some(Cause::LostInPageCache), 0),
        3 => {
            (vec![Place::ProducerMemory(Node::PRODUCER)], TokenState::ProducerMemory, Fate::Pending, None, 0)
        }
        4 => (
            vec![Place::Disk(Node::BROKER), Place::ConsumerProcessing(Node::CONSUMER)],
            TokenState::Processing,
            Fate::Pending,
            None,
            0,
        ),
        _ => (vec![Place::Disk(Node::BROKER)], TokenState::Duplicated, Fate::Duplicated, None, 2),
    };
    MessageView {
        id: MsgId(i),
        producer: ProducerId(1),
        seq: i,
        queue: 0,
        places,
        token,
        status: (i % 6 != 3).then_some(SendStatus::SendOk),
        fate,
        cause,
        effects,
        detected: false,
        attempts: 1,
        deliveries: effects,
    }
}

/// A busy world with `n` messages, a few envelopes in flight and a page of events.
pub fn view(n: u64) -> View {
    let messages: Vec<MessageView> = (1..=n).map(message).collect();
    let count = |f: Fate| messages.iter().filter(|m| m.fate == f).count() as u64;
    let totals = Totals {
        sent: n,
        acked: messages.iter().filter(|m| m.status.is_some()).count() as u64,
        processed: count(Fate::Processed),
        duplicated: count(Fate::Duplicated),
        lost: count(Fate::Lost),
        failed: 0,
        dead_lettered: 0,
        pending: count(Fate::Pending),
    };
    let log = LogView { written_pos: 312 * n, flushed_pos: 208 * n, records: n };
    let recent = (1..=20)
        .map(|step| Event {
            step,
            at_ms: step * 5,
            node: Some(Node::BROKER),
            text: format!(
                "broker: appended m{step} to the page cache (bytes {}..{})",
                step * 312,
                step * 312 + 312
            ),
            zh: String::new(),
            messages: vec![MsgId(step)],
            wire: vec![],
            mark: None,
        })
        .collect();
    View {
        step: 20,
        virtual_ms: 100,
        idle: false,
        settings: Settings::default(),
        topology: Topology {
            producers: vec![Node::PRODUCER],
            brokers: vec![Node::BROKER, Node::REPLICA],
            consumers: vec![Node::CONSUMER],
            queues: vec![QueueView {
                id: 0,
                broker: Node::BROKER,
                owner: Some(Node::CONSUMER),
                stored: n,
                committed: 0,
            }],
            links: vec![
                LinkView { from: Node::PRODUCER, to: Node::BROKER, kind: LinkKind::Produce },
                LinkView { from: Node::BROKER, to: Node::CONSUMER, kind: LinkKind::Consume },
            ],
        },
        nodes: vec![
            node(Node::PRODUCER, "producer", None),
            node(Node::BROKER, "master", Some(log)),
            node(Node::REPLICA, "slave", Some(LogView::default())),
            node(Node::CONSUMER, "consumer", None),
        ],
        messages,
        in_flight: vec![
            envelope(EnvelopeKind::Request, Node::PRODUCER, Node::BROKER, n + 1),
            envelope(EnvelopeKind::Response, Node::BROKER, Node::PRODUCER, n),
            envelope(EnvelopeKind::Delivery, Node::BROKER, Node::CONSUMER, n.saturating_sub(1)),
        ],
        totals,
        recent,
        alerts: vec![],
    }
}

/// A world the way the core draws one with `producers` producers (1–4), `consumers` consumers
/// (1–4) and `queues` topic queues (1–8), and `n` messages spread over them round-robin: each
/// producer's requests go to the master, the master replicates to the slave and delivers each
/// queue to the consumer that owns it. Copies name the node that holds them.
pub fn topology_view(producers: u8, consumers: u8, queues: u32, n: u64) -> View {
    let mut view = view(n);
    let p: Vec<Node> = (0..producers).map(Node::Producer).collect();
    let c: Vec<Node> = (0..consumers).map(Node::Consumer).collect();
    let owner = |q: u32| c[q as usize % c.len()];
    for m in &mut view.messages {
        let i = m.id.0;
        let producer = p[i as usize % p.len()];
        m.producer = ProducerId(1 + i as u32 % u32::from(producers));
        m.queue = (i % u64::from(queues)) as u32;
        let consumer = owner(m.queue);
        for place in &mut m.places {
            *place = match *place {
                Place::ProducerMemory(_) => Place::ProducerMemory(producer),
                Place::ConsumerProcessing(_) => Place::ConsumerProcessing(consumer),
                // Every third stored copy is also on the slave.
                Place::Disk(_) if i % 3 == 0 => Place::Disk(Node::REPLICA),
                other => other,
            };
        }
    }
    let per_queue = |q: u32| view.messages.iter().filter(|m| m.queue == q).count() as u64;
    let queue_views: Vec<QueueView> = (0..queues)
        .map(|q| QueueView {
            id: q,
            broker: Node::BROKER,
            owner: Some(owner(q)),
            stored: per_queue(q),
            committed: per_queue(q).saturating_sub(2),
        })
        .collect();
    let mut links: Vec<LinkView> =
        p.iter().map(|&from| LinkView { from, to: Node::BROKER, kind: LinkKind::Produce }).collect();
    links.push(LinkView { from: Node::BROKER, to: Node::REPLICA, kind: LinkKind::Replicate });
    links.extend(c.iter().map(|&to| LinkView { from: Node::BROKER, to, kind: LinkKind::Consume }));
    let log = view.node(Node::BROKER).log;
    let mut nodes: Vec<NodeView> = p.iter().map(|&n| node(n, "producer", None)).collect();
    nodes.push(NodeView { replicated_pos: log.map(|l| l.flushed_pos), ..node(Node::BROKER, "master", log) });
    nodes.push(node(Node::REPLICA, "slave", log.map(|l| LogView { written_pos: l.flushed_pos, ..l })));
    nodes.extend(c.iter().map(|&n| NodeView {
        committed_offset: Some(0),
        persisted_offset: Some(0),
        ..node(n, "consumer", None)
    }));
    // One producer down and one consumer cut off, as a classroom demo would leave them.
    if let Some(last) = nodes.iter_mut().rfind(|v| v.node.is_producer() && v.node.index() > 0) {
        last.up = false;
        last.note = NodeNote::Down;
    }
    if let Some(last) = nodes.iter_mut().rfind(|v| v.node.is_consumer() && v.node.index() > 0) {
        last.partitioned = true;
    }
    view.in_flight = p
        .iter()
        .enumerate()
        .map(|(i, &from)| envelope(EnvelopeKind::Request, from, Node::BROKER, n + 1 + i as u64))
        .chain(
            c.iter()
                .enumerate()
                .map(|(i, &to)| envelope(EnvelopeKind::Delivery, Node::BROKER, to, n - i as u64)),
        )
        .chain([envelope(EnvelopeKind::Replicate, Node::BROKER, Node::REPLICA, n)])
        .collect();
    view.topology = Topology {
        producers: p,
        brokers: vec![Node::BROKER, Node::REPLICA],
        consumers: c,
        queues: queue_views,
        links,
    };
    view.nodes = nodes;
    view
}

/// An envelope of `kind` carrying message `id`, sent at 10 ms, due at 15 ms.
fn envelope(kind: EnvelopeKind, from: Node, to: Node, id: u64) -> EnvelopeView {
    EnvelopeView { kind, from, to, messages: vec![MsgId(id)], sent_ms: 10, arrives_ms: 15, doomed: false }
}
