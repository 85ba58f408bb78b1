//! The loss and duplicate scenarios: for each, the totals and every lost message's cause.
//! Each builds a fresh world on MemStorage, so the causes come from the simulator's mechanics,
//! not from anything written per scenario.

use mqlab_core::log::StorageKind;
use mqlab_core::session::{Session, SessionConfig};
use mqlab_core::settings::Settings;
use mqlab_core::view::{Cause, Fate, Report, SendStatus, Totals};

fn run(settings: &[(&str, &str)], line: &str) -> Report {
    let mut s = Settings::default();
    for (key, value) in settings {
        s.set(key, value).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    let config = SessionConfig { seed: 1, storage: StorageKind::Mem, data_dir: None, settings: s };
    let mut session = Session::new(config).expect("session");
    session.perform(line).unwrap_or_else(|e| panic!("`{line}`: {e}"));
    session.report()
}

fn totals(sent: u64, acked: u64, processed: u64, duplicated: u64, lost: u64, failed: u64) -> Totals {
    Totals { sent, acked, processed, duplicated, lost, failed, dead_lettered: 0, pending: 0 }
}

fn causes(report: &Report) -> Vec<(u64, Option<Cause>)> {
    report.messages.iter().filter(|m| m.fate == Fate::Lost).map(|m| (m.id.0, m.cause)).collect()
}

#[test]
fn oneway_with_a_dropped_request_loses_it_silently() {
    let r = run(&[("producer.send", "oneway")], "drop next request; send 3; run");
    assert_eq!(r.totals, totals(3, 0, 2, 0, 1, 0));
    assert_eq!(causes(&r), [(1, Some(Cause::DroppedInNetwork))]);
    assert!(r.messages.iter().all(|m| m.status.is_none()), "one-way sends get no status");
}

#[test]
fn sync_send_retries_a_dropped_request_when_each_attempt_is_capped() {
    let capped =
        [("producer.send", "sync"), ("producer.retries", "2"), ("producer.attempt_timeout_ms", "1000")];
    let r = run(&capped, "drop next request; send 3; run");
    assert_eq!(r.totals, totals(3, 3, 3, 0, 0, 0));
    assert_eq!(r.messages[0].status, Some(SendStatus::SendOk));
}

#[test]
fn by_default_a_timed_out_attempt_leaves_no_time_to_retry() {
    // RocketMQ gives each attempt what is left of sendMsgTimeout: the first attempt waits all
    // of it, so the exception comes after one attempt.
    let r = run(&[("producer.send", "sync"), ("producer.retries", "2")], "drop next request; send 3; run");
    assert_eq!(r.totals, totals(3, 2, 2, 0, 0, 1));
}

#[test]
fn sync_send_without_retries_fails_loudly() {
    let r = run(&[("producer.retries", "0")], "drop next request; send 1; run");
    assert_eq!(r.totals, totals(1, 0, 0, 0, 0, 1));
}

#[test]
fn async_send_whose_callback_ignores_the_error_loses_it() {
    let r = run(&[("producer.send", "async"), ("producer.retries", "0")], "drop next request; send 1; run");
    assert_eq!(r.totals, totals(1, 0, 0, 0, 1, 0));
    assert_eq!(causes(&r), [(1, Some(Cause::ErrorIgnored))]);
}

#[test]
fn a_dropped_response_makes_a_duplicate_that_idempotence_absorbs() {
    let capped = [("producer.attempt_timeout_ms", "1000")];
    let r = run(&capped, "drop next response; send 1; run");
    assert_eq!(r.totals, totals(1, 1, 0, 1, 0, 0));
    assert_eq!(r.messages[0].effects, 2);
    let r = run(&[capped[0], ("consumer.idempotent", "on")], "drop next response; send 1; run");
    assert_eq!(r.totals, totals(1, 1, 1, 0, 0, 0));
}

const CRASH_LINE: &str =
    "partition consumer; send 3; run 100; crash broker {kind}; restart broker; heal; run";

#[test]
fn async_flush_loses_acked_messages_to_a_power_loss_only() {
    let power = run(&[("broker.flush", "async")], &CRASH_LINE.replace("{kind}", "power"));
    assert_eq!(power.totals, totals(3, 3, 0, 0, 3, 0));
    assert_eq!(causes(&power), [1, 2, 3].map(|i| (i, Some(Cause::LostInPageCache))));
    let process = run(&[("broker.flush", "async")], &CRASH_LINE.replace("{kind}", "process"));
    assert_eq!(process.totals, totals(3, 3, 3, 0, 0, 0));
}

#[test]
fn sync_flush_survives_the_same_power_loss() {
    let r = run(&[("broker.flush", "sync")], &CRASH_LINE.replace("{kind}", "power"));
    assert_eq!(r.totals, totals(3, 3, 3, 0, 0, 0));
}

#[test]
fn async_flush_after_the_flusher_ran_survives_power_loss() {
    let r = run(&[], "partition consumer; send 3; run 600; crash broker power; restart broker; heal; run");
    assert_eq!(r.totals, totals(3, 3, 3, 0, 0, 0));
}

#[test]
fn a_slow_sync_flush_answers_flush_disk_timeout() {
    let r = run(&[("broker.flush", "sync"), ("broker.flush_timeout_ms", "1")], "send 1; run");
    assert_eq!(r.messages[0].status, Some(SendStatus::FlushDiskTimeout));
    assert_eq!(r.totals, totals(1, 0, 1, 0, 0, 0));
}

const FAILOVER_LINE: &str =
    "partition consumer; send 3; {wait}; crash broker disk; promote replica; heal; run";

#[test]
fn async_replication_loses_the_tail_on_failover() {
    let r = run(&[("broker.replication", "async")], &FAILOVER_LINE.replace("{wait}", "step 6"));
    assert_eq!(r.totals, totals(3, 3, 0, 0, 3, 0));
    assert_eq!(causes(&r), [1, 2, 3].map(|i| (i, Some(Cause::LostWithDisk))));
}

#[test]
fn async_replication_keeps_what_was_shipped() {
    let r = run(&[("broker.replication", "async")], &FAILOVER_LINE.replace("{wait}", "run 200"));
    assert_eq!(r.totals, totals(3, 3, 3, 0, 0, 0));
}

#[test]
fn sync_replication_keeps_every_acked_message_through_failover() {
    let r = run(&[("broker.replication", "sync")], &FAILOVER_LINE.replace("{wait}", "run 100"));
    assert_eq!(r.totals, totals(3, 3, 3, 0, 0, 0));
}

#[test]
fn promoting_while_the_old_master_holds_unshipped_data_loses_it_in_failover() {
    let r = run(
        &[("broker.replication", "async")],
        "partition consumer; send 2; step 4; crash broker process; promote replica; heal; run",
    );
    assert_eq!(r.totals, totals(2, 2, 0, 0, 2, 0));
    assert_eq!(causes(&r), [1, 2].map(|i| (i, Some(Cause::LostInFailover))));
}

const SLAVE_CUT_OFF: &str = "crash replica; partition consumer; send 2; run 100; crash broker disk; restart replica; promote replica; heal; run";

#[test]
fn slave_not_available_ignored_then_the_master_dies() {
    let r = run(&[("broker.replication", "sync")], SLAVE_CUT_OFF);
    assert!(r.messages.iter().all(|m| m.status == Some(SendStatus::SlaveNotAvailable)));
    assert_eq!(r.totals, totals(2, 0, 0, 0, 2, 0));
    assert_eq!(causes(&r), [1, 2].map(|i| (i, Some(Cause::LostWithDisk))));
}

#[test]
fn slave_not_available_required_as_send_ok_is_a_known_failure() {
    let r = run(&[("broker.replication", "sync"), ("producer.require_send_ok", "on")], SLAVE_CUT_OFF);
    assert_eq!(r.totals, totals(2, 0, 0, 0, 0, 2));
}

#[test]
fn a_replica_lost_mid_wait_answers_flush_slave_timeout() {
    let r = run(
        &[("broker.replication", "sync"), ("producer.retries", "0"), ("producer.timeout_ms", "10000")],
        "send 1; step 2; partition replica; run",
    );
    assert_eq!(r.messages[0].status, Some(SendStatus::FlushSlaveTimeout));
    assert_eq!(r.totals, totals(1, 0, 1, 0, 0, 0));
}

#[test]
fn commit_before_processing_then_a_consumer_crash_skips_the_message() {
    let line = "send 1; step 4; crash consumer; restart consumer; run";
    let before = run(&[("consumer.commit", "before")], line);
    assert_eq!(before.totals, totals(1, 1, 0, 0, 1, 0));
    assert_eq!(causes(&before), [(1, Some(Cause::CommittedBeforeProcessing))]);
    let after = run(&[("consumer.commit", "after")], line);
    assert_eq!(after.totals, totals(1, 1, 1, 0, 0, 0));
}

#[test]
fn async_consumption_loses_the_failed_work_sync_retries_it() {
    let line = "fail next 1; send 2; run";
    let r = run(&[("consumer.mode", "async")], line);
    assert_eq!(r.totals, totals(2, 2, 1, 0, 1, 0));
    assert_eq!(causes(&r), [(1, Some(Cause::AsyncConsumeFailed))]);
    let r = run(&[("consumer.mode", "sync")], line);
    assert_eq!(r.totals, totals(2, 2, 2, 0, 0, 0));
}

#[test]
fn exhausted_retries_end_in_the_dead_letter_queue() {
    let r = run(&[("consumer.max_retries", "3")], "fail next 100; send 1; run");
    assert_eq!(r.totals, Totals { sent: 1, acked: 1, dead_lettered: 1, ..Totals::default() });
    // 10 s + 30 s + 1 min of ladder before the last failure.
    assert!(r.virtual_ms >= 100_000, "{}", r.virtual_ms);
}

#[test]
fn the_outbox_resends_what_a_producer_crash_took_from_memory() {
    let line = "send 2; crash producer; restart producer; run";
    let r = run(&[("producer.outbox", "on")], line);
    assert_eq!(r.totals, totals(2, 2, 2, 0, 0, 0));
    let r = run(&[], line);
    assert_eq!(r.totals, totals(2, 0, 0, 0, 2, 0));
    assert_eq!(causes(&r), [1, 2].map(|i| (i, Some(Cause::ProducerCrashedUnsent))));
}

#[test]
fn the_outbox_gives_up_after_five_resends_and_says_so() {
    let mut s = Settings::default();
    s.set("producer.outbox", "on").unwrap();
    s.set("producer.retries", "0").unwrap();
    let config = SessionConfig { seed: 1, storage: StorageKind::Mem, data_dir: None, settings: s };
    let mut session = Session::new(config).unwrap();
    session.perform("crash broker disk; send 1; run").unwrap();
    let r = session.report();
    assert_eq!(r.totals, totals(1, 0, 0, 0, 0, 1));
    assert!(session.view().alerts.iter().any(|a| a.contains("outbox gave up on m1")));
}

#[test]
fn a_sequence_gap_is_detected_by_the_consumer() {
    let r = run(
        &[("producer.send", "oneway"), ("consumer.check_seq", "on")],
        "send 1; run; drop next request; send 2; run",
    );
    assert_eq!(r.totals, totals(3, 0, 2, 0, 1, 0));
    assert_eq!(causes(&r), [(2, Some(Cause::DroppedInNetwork))]);
    let detected: Vec<u64> = r.messages.iter().filter(|m| m.detected).map(|m| m.id.0).collect();
    assert_eq!(detected, [2]);
    let r = run(&[("producer.send", "oneway")], "send 1; run; drop next request; send 2; run");
    assert!(r.messages.iter().all(|m| !m.detected), "without the check nobody notices");
}

#[test]
fn a_broker_crash_rolls_committed_offsets_back_and_redelivers() {
    let r = run(
        &[],
        "send 2; run 1000; crash broker process; restart broker; crash consumer; restart consumer; run",
    );
    assert_eq!(r.totals, totals(2, 2, 0, 2, 0, 0));
}

#[test]
fn a_run_that_cannot_settle_stops_at_the_bound() {
    let mut session =
        Session::new(SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() }).unwrap();
    session.perform("set consumer.max_retries 64; fail next 1000; send; run").unwrap();
    let last = session.trace().last().unwrap();
    assert!(last.text.contains("bound"), "{}", last.text);
    assert_eq!(session.report().totals.pending, 1);
}

#[test]
fn a_refused_command_leaves_the_whole_line_unapplied() {
    let mut s =
        Session::new(SessionConfig { storage: StorageKind::Mem, seed: 3, ..SessionConfig::default() })
            .unwrap();
    s.perform("send 2; run").unwrap();
    let before = s.view();
    let err = s.perform("send 3; run 50; restart broker").unwrap_err();
    assert!(err.to_string().contains("restart broker"), "{err}");
    assert_eq!(s.view(), before, "nothing of the refused line was applied");
    assert_eq!(s.execute("send 1; run").unwrap(), s.trace().len() as u64 - before.step);
}

#[test]
fn every_node_note_reads_in_both_languages() {
    use mqlab_core::lesson::Lang;
    use mqlab_core::view::NodeNote;
    let config = SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() };
    let mut session = Session::new(config).expect("a world");
    let mut notes = Vec::new();
    for line in [
        "send 2; step 6",
        "fail next 2",
        "run",
        "crash broker process",
        "crash consumer process; crash producer process",
        "restart broker; restart consumer; restart producer; run",
        "set broker.replication sync; send 1; run; crash broker disk; promote replica",
    ] {
        session.execute(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        for n in session.view().nodes {
            if !notes.contains(&n.note) {
                notes.push(n.note);
            }
        }
    }
    // Every kind of note was seen.
    for kind in ["down: crashed", "retired", "next seq", "waiting", "processing", "fails the next", "records"]
    {
        assert!(notes.iter().any(|n| n.text(Lang::En).contains(kind)), "no `{kind}` note among {notes:?}");
    }
    for note in notes {
        for (en, zh) in [
            (note.text(Lang::En), note.text(Lang::Zh)),
            (note.short_text(Lang::En), note.short_text(Lang::Zh)),
        ] {
            // Only message ids (`m1, m2`) read the same in both.
            assert!(!en.is_empty() || note == NodeNote::None);
            assert!(en != zh || en.split(", ").all(|id| id.starts_with('m')), "`{en}` untranslated");
            assert!(
                en.is_empty() || en == zh || zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "`{en}` → `{zh}`"
            );
        }
        // The short form is shorter and keeps every number of the long one.
        for lang in [Lang::En, Lang::Zh] {
            let (long, short) = (note.text(lang), note.short_text(lang));
            assert!(short.chars().count() <= long.chars().count(), "`{short}` is not shorter than `{long}`");
            let numbers = |s: &str| -> Vec<String> {
                s.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).map(str::to_owned).collect()
            };
            assert_eq!(numbers(&short), numbers(&long), "`{short}` drops a number of `{long}`");
        }
    }
}

#[test]
fn every_cause_place_and_fate_is_explained_in_both_languages() {
    use mqlab_core::lesson::Lang;
    use mqlab_core::view::{Cause, Place};
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for cause in Cause::ALL {
        assert!(cjk(cause.describe(Lang::Zh)) && !cjk(cause.describe(Lang::En)), "{cause:?}");
    }
    for place in Place::ALL {
        assert!(cjk(&place.describe(Lang::Zh)) && !cjk(&place.describe(Lang::En)), "{place:?}");
    }
    // Each fate's explanation, from a run that reaches it.
    let config = SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() };
    let mut session = Session::new(config).expect("a world");
    session
        .execute("set consumer.max_retries 1; fail next 4; send 1; run; set producer.send oneway; drop next request; send 1; run; send 1")
        .expect("the commands run");
    let messages = session.view().messages;
    for m in &messages {
        let (en, zh) = (m.explain(Lang::En), m.explain(Lang::Zh));
        assert!(en.starts_with(&m.id.to_string()) && zh.starts_with(&m.id.to_string()), "{en} / {zh}");
        assert!(cjk(&zh) && !cjk(&en), "{m:?}: {en} / {zh}");
        if let Some(cause) = m.cause {
            assert!(zh.contains(cause.describe(Lang::Zh)) && zh.contains(cause.name()), "{zh}");
        }
    }
    let fates: Vec<_> = messages.iter().map(|m| m.fate.name()).collect();
    assert_eq!(fates, ["dead_lettered", "lost", "pending"]);
}

#[test]
fn a_dropped_commit_names_its_offset() {
    let config = SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() };
    let mut session = Session::new(config).expect("a world");
    session.execute("send 1; drop next commit; run").expect("the commands run");
    let dropped: Vec<&str> = session
        .trace()
        .iter()
        .map(|e| e.text.as_str())
        .filter(|t| t.starts_with("network: dropped"))
        .collect();
    assert_eq!(dropped, ["network: dropped commit of offset 1 consumer→broker (drop next)"]);
}

#[test]
fn every_kind_of_bad_input_is_also_said_in_chinese() {
    use mqlab_core::lesson::Lang;
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for line in [
        "",
        "fly",
        "send x y",
        "send 1000000000",
        "crash moon",
        "crash producer disk",
        "set a b",
        "set broker.flush x",
    ] {
        let e = mqlab_core::command::parse_line(line).expect_err(line);
        let (en, zh) = (e.text(Lang::En), e.text(Lang::Zh));
        assert_eq!(en, e.to_string());
        assert!(cjk(&zh) && !cjk(&en), "`{line}`: {en} / {zh}");
    }
    // Refusals of well-formed commands, from a session that speaks Chinese.
    let config = SessionConfig { storage: StorageKind::Mem, ..SessionConfig::default() };
    let mut session = Session::new(config).expect("a world");
    session.set_language(Lang::Zh).expect("language");
    for line in ["restart broker", "heal", "promote replica", "partition consumer; partition consumer"] {
        let e = session.execute(line).expect_err(line);
        assert!(cjk(&e.text(Lang::Zh)) && !cjk(&e.to_string()), "`{line}`: {e} / {}", e.text(Lang::Zh));
    }
}
