//! The shipped lessons and cards: every file is embedded, every lesson loads and holds when run,
//! the README's example is valid, and bad lesson files are refused with file, line and key.

use std::path::Path;

use mqlab_core::lesson::{self, Card, CardKind, Lang, Lesson};

fn lessons_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons")
}

#[test]
fn every_lesson_file_is_embedded_and_ids_are_unique() {
    let mut on_disk: Vec<String> = std::fs::read_dir(lessons_dir())
        .expect("lessons/ exists")
        .map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml") && name != lesson::CARDS_FILE.0)
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = lesson::FILES.iter().map(|(name, _)| (*name).to_owned()).collect();
    let mut sorted = embedded.clone();
    sorted.sort();
    assert_eq!(sorted, on_disk, "core/src/lesson.rs FILES must list exactly the files in lessons/");
    for (name, text) in lesson::FILES {
        let disk = std::fs::read_to_string(lessons_dir().join(name)).expect("readable lesson");
        assert_eq!(&disk, text, "{name}: the embedded text is stale");
    }
    let lessons = lesson::load_builtin().unwrap_or_else(|e| panic!("{e}"));
    assert!(lessons.len() >= 14, "the curriculum has at least 14 lessons");
    let mut ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), lessons.len(), "lesson ids are unique");
    assert_eq!(lesson::builtin(), lessons);
}

#[test]
fn every_lesson_teaches_with_questions_and_claims() {
    for l in lesson::builtin() {
        let questions = l.steps.iter().filter(|s| s.question.is_some()).count();
        let claims: usize = l.steps.iter().map(|s| s.expect.len()).sum();
        assert!(questions >= 1, "{}: predict, then observe — at least one question", l.id);
        assert!(claims >= 3, "{}: a lesson backs its story with claims", l.id);
        for lang in Lang::ALL {
            assert!(!l.title.get(lang).is_empty() && !l.summary.get(lang).is_empty(), "{}", l.id);
        }
        for (i, step) in l.steps.iter().enumerate() {
            if let Some(q) = &step.question {
                assert!(q.answer < q.choices.len(), "{} step {}", l.id, i + 1);
            }
        }
    }
}

#[test]
fn every_lesson_holds_when_run() {
    let mut report = Vec::new();
    for l in lesson::builtin() {
        for f in l.verify() {
            report
                .push(format!("{} step {}: expected {}, found {}", f.lesson, f.step, f.expectation, f.found));
        }
    }
    assert!(report.is_empty(), "lessons that no longer hold:\n{}", report.join("\n"));
}

#[test]
fn verify_reports_a_false_claim_with_what_it_found() {
    let text = r#"
id = "false-claim"
title = { en = "t", zh = "t" }
summary = { en = "s", zh = "s" }

[[steps]]
narration = { en = "n", zh = "n" }
commands = "send 2; run"

[steps.expect]
totals.sent = 2
totals.processed = 1
"#;
    let l = Lesson::parse(text, "false.toml").unwrap();
    let failures = l.verify();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].step, 1);
    assert_eq!(failures[0].expectation, "totals.processed = 1 (line 12)");
    assert_eq!(failures[0].found, "2");
}

fn readme_block(after: &str) -> String {
    let readme = std::fs::read_to_string(lessons_dir().join("README.md")).expect("lessons/README.md");
    let from = readme.find(after).unwrap_or_else(|| panic!("README has `{after}`"));
    let rest = &readme[from..];
    let start = rest.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = rest[start..].find("```").expect("a closed block");
    rest[start..start + end].to_owned()
}

#[test]
fn the_readme_example_is_a_valid_lesson() {
    let l = Lesson::parse(&readme_block("## The format"), "README.md").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.id, "example-async-flush");
    assert_eq!(l.steps.len(), 2);
    assert_eq!(l.steps[1].question.as_ref().map(|q| q.answer), Some(1));
    assert_eq!(l.steps[1].expect.len(), 3);
    assert_eq!(l.steps[1].expect[0].source, "totals.lost = 3");
    let ids: Vec<String> = lesson::builtin().into_iter().map(|l| l.id).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let cards = Card::parse_all(&readme_block("## Interview cards"), "README.md", &ids).unwrap();
    assert_eq!(cards[0].kind, CardKind::FollowUp);
}

#[test]
fn the_cards_cover_the_template_and_the_follow_ups() {
    let cards = lesson::load_cards().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cards.first().map(|c| c.kind), Some(CardKind::Template), "the template comes first");
    assert!(cards.iter().filter(|c| c.kind == CardKind::FollowUp).count() >= 4, "the interview follow-ups");
    let template = &cards[0].answer;
    for stage in ["生产", "Broker", "消费"] {
        assert!(template.zh.contains(stage), "the template answers stage by stage: {stage}");
    }
}

const GOOD: &str = r#"id = "tiny"
title = { en = "t", zh = "t" }
summary = { en = "s", zh = "s" }

[[steps]]
narration = { en = "n", zh = "n" }
commands = "send 1; run"

[steps.question]
prompt = { en = "p", zh = "p" }
choices = [{ en = "a", zh = "a" }, { en = "b", zh = "b" }]
answer = 1
explanation = { en = "e", zh = "e" }

[steps.expect]
m1.fate = "processed"
"#;

fn error(text: &str) -> String {
    Lesson::parse(text, "bad.toml").unwrap_err().to_string()
}

#[test]
fn bad_lessons_name_file_line_and_key() {
    assert!(Lesson::parse(GOOD, "good.toml").is_ok());
    let cases = [
        (GOOD.replace("m1.fate", "m1.fat"), "bad.toml:16: unknown message field `m1.fat`"),
        (GOOD.replace("\"processed\"", "\"done\""), "bad.toml:16: bad value \"done\" for `m1.fate`"),
        (
            GOOD.replace("m1.fate = \"processed\"", "totals.lost = \"one\""),
            "bad.toml:16: bad value \"one\" for `totals.lost`",
        ),
        (
            GOOD.replace("send 1; run", "send 1; explode"),
            "bad.toml:7: bad command in `send 1; explode`: unknown command `explode`",
        ),
        (
            GOOD.replace("answer = 1", "answer = 3"),
            "bad.toml:12: `answer` must be a whole number from 1 to 2",
        ),
        (GOOD.replace("answer = 1", "answer = 0"), "bad.toml:12: `answer`"),
        (GOOD.replace("answer = 1", "anwser = 1"), "bad.toml:12: unknown key `anwser` in a question"),
        (
            GOOD.replace("narration = { en = \"n\", zh = \"n\" }", "narration = { en = \"n\" }"),
            "bad.toml:6: `narration` is missing `zh`",
        ),
        (
            GOOD.replace("narration = { en = \"n\", zh = \"n\" }", "narration = { en = \"n\", zh = \" \" }"),
            "bad.toml:6: `narration.zh` is empty",
        ),
        (
            GOOD.replace(
                "narration = { en = \"n\", zh = \"n\" }",
                "narration = { en = \"n\", zh = \"n\", fr = \"n\" }",
            ),
            "bad.toml:6: unknown key `fr` in `narration`",
        ),
        (GOOD.replace("id = \"tiny\"", "id = \"Tiny Lesson\""), "bad.toml:1: bad id `Tiny Lesson`"),
        (
            GOOD.replace("id = \"tiny\"\n", "id = \"tiny\"\ncolour = 1\n"),
            "bad.toml:2: unknown key `colour` in a lesson",
        ),
        (
            GOOD.replace("[[steps]]", "[settings]\nbroker.flsh = \"sync\"\n\n[[steps]]"),
            "bad.toml:6: unknown setting `broker.flsh`",
        ),
        (
            GOOD.replace("[[steps]]", "[settings]\nbroker.flush = \"fast\"\n\n[[steps]]"),
            "bad.toml:6: bad value `fast` for broker.flush",
        ),
        (GOOD.replace("commands = \"send 1; run\"\n", ""), "asks a question but has no `commands`"),
        (
            GOOD.replace("choices = [{ en = \"a\", zh = \"a\" }, ", "choices = ["),
            "bad.toml:11: a question has 2 to 6 choices, not 1",
        ),
        (
            GOOD.replace("seed", "x").replace("id = \"tiny\"", "seed = -4\nid = \"tiny\""),
            "bad.toml:1: `seed` must be a whole number",
        ),
        ("id = \"x\"\ntitle = = 1\n".to_owned(), "bad.toml:2:"),
    ];
    for (text, wanted) in cases {
        let e = error(&text);
        assert!(e.starts_with(wanted) || e.contains(wanted), "wanted `{wanted}`, got `{e}`");
        assert!(e.starts_with("bad.toml:"), "{e}");
    }
    let e = error("title = { en = \"t\", zh = \"t\" }\n");
    assert!(e.contains("missing `id`"), "{e}");
}

#[test]
fn cards_refuse_unknown_lessons_and_kinds() {
    let card = "[[cards]]\nid = \"c\"\nkind = \"follow_up\"\nquestion = { en = \"q\", zh = \"q\" }\nanswer = { en = \"a\", zh = \"a\" }\nlessons = [\"nowhere\"]\n";
    let e = Card::parse_all(card, "cards.toml", &["three-stages"]).unwrap_err().to_string();
    assert!(e.starts_with("cards.toml:6: unknown lesson `nowhere`; lessons are: three-stages"), "{e}");
    let e = Card::parse_all(&card.replace("follow_up", "quiz"), "cards.toml", &["nowhere"])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("cards.toml:3: bad kind `quiz`"), "{e}");
}
