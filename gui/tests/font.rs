//! The bundled CJK font covers every Chinese character the lab can show: the lessons (all of
//! `lessons/*.toml`, read from disk so a new lesson is checked too) and the UI string table.
//! When this fails, run `scripts/subset-font.sh` and commit the new font.

use std::collections::BTreeSet;

/// CJK ideographs, radicals, punctuation and full-width forms: what the default fonts lack.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

fn missing(text: &str, face: &ttf_parser::Face<'_>) -> BTreeSet<char> {
    text.chars().filter(|c| is_cjk(*c) && face.glyph_index(*c).is_none()).collect()
}

fn face() -> ttf_parser::Face<'static> {
    ttf_parser::Face::parse(mqlab_gui::fonts::CJK_FONT, 0).expect("the bundled font parses")
}

#[test]
fn every_lesson_character_is_in_the_bundled_font() {
    let face = face();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no lessons in {}", dir.display());
    let mut cjk = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("a lesson file reads");
        cjk += text.chars().filter(|c| is_cjk(*c)).count();
        let gaps = missing(&text, &face);
        assert!(
            gaps.is_empty(),
            "{}: not in the bundled font: {gaps:?}; run scripts/subset-font.sh",
            path.display()
        );
    }
    println!("{} lesson files, {cjk} CJK characters, all covered", files.len());
}

#[test]
fn every_ui_string_is_in_the_bundled_font() {
    let face = face();
    let all = mqlab_gui::i18n::all_zh().join("");
    assert!(all.chars().filter(|c| is_cjk(*c)).count() > 200, "the table has Chinese text");
    let gaps = missing(&all, &face);
    assert!(gaps.is_empty(), "UI strings not in the bundled font: {gaps:?}; run scripts/subset-font.sh");
}

#[test]
fn the_common_characters_are_kept_for_new_text() {
    // A few common characters no lesson may use today: the subset keeps GB2312 level 1.
    let face = face();
    for c in "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感".chars() {
        assert!(face.glyph_index(c).is_some(), "{c} is missing");
    }
}

#[test]
fn the_font_stays_small() {
    let size = mqlab_gui::fonts::CJK_FONT.len();
    assert!(size < 2_200_000, "the bundled font is {size} bytes; keep it under about 2 MB");
}

#[test]
fn every_character_the_core_says_is_in_the_bundled_font() {
    // Event lines, node notes, explanations: everything the core writes in Chinese lives in its
    // sources, which are read here so a new line is checked too.
    let face = face();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let mut stack = vec![root];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files += 1;
                let text = std::fs::read_to_string(&path).expect("a source file reads");
                let gaps = missing(&text, &face);
                assert!(
                    gaps.is_empty(),
                    "{}: not in the bundled font: {gaps:?}; run scripts/subset-font.sh",
                    path.display()
                );
            }
        }
    }
    assert!(files > 10, "the core's sources are found");
}
